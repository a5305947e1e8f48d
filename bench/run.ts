/**
 * `npm run bench` (full, about twenty minutes) and `npm run bench -- --quick` (about four):
 * runs every scenario (docs/benchmarks.md) with the real services as separate processes on loopback,
 * each against a baseline measured in the same run, then writes bench/results/<date>.json
 * and regenerates the table in docs/benchmarks.md.
 *
 *   --quick            shorter runs, one round: a smoke test of the numbers
 *   --only a,b         only scenarios whose id starts with one of these (lookup, batch, list,
 *                      reload, guard, synapse-join, directory, term, directory-attack,
 *                      knock, reports, decisions-log, sweep, private-lookup, policy-room); results
 *                      are written, the docs left alone
 *   --profile          run service processes with --cpu-prof (profiles kept in the work dir;
 *                      summarise with bench/profile-summary.ts)
 *   --keep             keep the work dir (configs, logs, databases) for inspection
 *
 * A bench reports, it never fails on a number: a missed target is a row in the table.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { TIMINGS, type BenchContext } from "./context.js";
import { describeMachine, gitCommit } from "./machine.js";
import { ROOT } from "./processes.js";
import {
  renderSection,
  updateDocs,
  writeResults,
  type BenchRun,
  type ScenarioResult,
} from "./report.js";
import { batchCheckScenario } from "./scenarios/batch-check.js";
import { guardScenario } from "./scenarios/guard.js";
import { listScaleScenario, reloadScenario } from "./scenarios/list-scale.js";
import { lookupScenario } from "./scenarios/lookup.js";
import { directoryScenario } from "./scenarios/directory.js";
import { directoryAttackScenario } from "./scenarios/directory-attack.js";
import { knockScenario } from "./scenarios/knock.js";
import { decisionsLogScenario } from "./scenarios/decisions-log.js";
import { synapseJoinScenario } from "./scenarios/synapse-join.js";
import { reportsScenario } from "./scenarios/reports.js";
import { sweepScenario } from "./scenarios/sweep.js";
import { termsScenario } from "./scenarios/terms.js";
import { privateLookupScenario } from "./scenarios/private-lookup.js";
import { policyRoomScenario } from "./scenarios/policy-room.js";

interface Scenario {
  readonly id: string;
  /** Shown when the scenario fails before it could report its own title. */
  readonly title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

/** Every scenario, in the issue's order. */
const SCENARIOS: readonly Scenario[] = [
  { id: "lookup-sqlite", title: "1. lookup, SQLite", run: (ctx) => lookupScenario(ctx, "sqlite") },
  {
    id: "lookup-postgres",
    title: "1. lookup, PostgreSQL",
    run: (ctx) => withPostgres(() => lookupScenario(ctx, "postgres")),
  },
  { id: "batch-check", title: "1b. batch check, SQLite", run: batchCheckScenario },
  { id: "list-scale", title: "2. list scale", run: listScaleScenario },
  { id: "reload-under-load", title: "2. reload under load", run: reloadScenario },
  { id: "guard-join", title: "3. guard join decision", run: guardScenario },
  { id: "synapse-join", title: "3b. guard on a real Synapse join", run: synapseJoinScenario },
  { id: "directory-proxy", title: "4. directory proxy overhead", run: directoryScenario },
  { id: "term-matching", title: "5. term matching", run: termsScenario },
  { id: "policy-room", title: "policy room ingest", run: policyRoomScenario },
  {
    id: "directory-attack",
    title: "6. directory attack vs. join callbacks",
    run: directoryAttackScenario,
  },
  { id: "knock-proxy", title: "7. knock through the client-API proxy", run: knockScenario },
  { id: "reports", title: "8. reports into the alert room", run: reportsScenario },
  { id: "decisions-log", title: "9. decisions log", run: decisionsLogScenario },
  { id: "sweep", title: "10. sweep of invites and members", run: sweepScenario },
  { id: "private-lookup", title: "11. private lookup (v2) against v1", run: privateLookupScenario },
];

/** PostgreSQL's server binaries are installed on demand (as `npm test` does). */
async function withPostgres(run: () => Promise<ScenarioResult>): Promise<ScenarioResult> {
  const ensured = spawnSync("bash", [join(ROOT, "scripts/ensure-postgres.sh")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (ensured.status !== 0) throw new Error("PostgreSQL is not available (ensure-postgres.sh)");
  return run();
}

function parseArgs(argv: readonly string[]) {
  const only = argv.includes("--only") ? (argv[argv.indexOf("--only") + 1] ?? "") : undefined;
  return {
    quick: argv.includes("--quick"),
    profile: argv.includes("--profile"),
    keep: argv.includes("--keep") || argv.includes("--profile"),
    only: only?.split(",").filter((s) => s !== ""),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const mode = args.quick ? "quick" : "full";
  const startedAt = new Date();
  const workDir = mkdtempSync(join(tmpdir(), "redlight-bench-"));
  const ctx: BenchContext = {
    mode,
    timing: TIMINGS[mode],
    workDir,
    serviceFlags: args.profile ? ["--cpu-prof", `--cpu-prof-dir=${join(workDir, "profiles")}`] : [],
    log: (message) => process.stderr.write(`bench: ${message}\n`),
  };
  const machine = describeMachine();
  ctx.log(`${mode} run on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}`);
  if (machine.cpus <= 2) {
    ctx.log("only 2 cores: load generator and services share them; read the ratios");
  }

  const chosen = SCENARIOS.filter((s) => !args.only || args.only.some((o) => s.id.startsWith(o)));
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    const started = performance.now();
    try {
      results.push(await scenario.run(ctx));
    } catch (e) {
      ctx.log(`${scenario.id} failed: ${(e as Error).stack ?? String(e)}`);
      results.push({
        id: scenario.id,
        title: scenario.title,
        status: "failed",
        note: `could not be measured: ${(e as Error).message.split("\n")[0] ?? ""}`,
        rows: [],
      });
    }
    ctx.log(`${scenario.id}: ${Math.round((performance.now() - started) / 1000)} s`);
  }

  const run: BenchRun = {
    startedAt: startedAt.toISOString(),
    mode,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine,
    commit: gitCommit(),
    scenarios: results,
  };
  const file = relative(ROOT, writeResults(run));
  const section = renderSection(run, file);
  if (!args.only) await updateDocs(section);
  process.stdout.write(`${section}\n`);
  ctx.log(`results: ${file}${args.only ? "" : "; table regenerated in docs/benchmarks.md"}`);
  if (args.keep) ctx.log(`work dir kept: ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}

await main();
