/**
 * Scenario 3b: what the guard adds to a real join. `POST /_matrix/client/v3/join/{room}` on
 * two real Synapses (1.163, SQLite, loopback) running side by side from the same config, one
 * without the antispam module and one with synapse-http-antispam calling the real guard
 * process (`redlight guard --config …`, with an admin token), which asks the real lookup
 * process. Two homeservers rather than one with a toggle: the module is loaded at Synapse's
 * start, and a guard that answers at once would still leave the module's own cost out of
 * the baseline. Joins alternate between the two, one each per round with the order flipped
 * every round, so machine noise and drift fall on both alike. Every join is to a new room,
 * so every callback misses the clean verdict cache: the worst common case.
 *
 * Replaces the standalone bench/guard-join-latency.ts.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { antispamModuleConfig } from "../../src/services/guard/module-config.js";
import { startSynapse, type SynapseHandle } from "../../test/support/synapse.js";
import { LOOKUP_ROOMS, scenarioDir, type BenchContext } from "../context.js";
import { startLookupProcess } from "../lookup-process.js";
import { freePort } from "../processes.js";
import { times, type Row, type ScenarioResult } from "../report.js";
import { startGuard } from "./guard.js";

const ID = "synapse-join";
const TITLE = "3b. guard on a real Synapse join";
/** Measured joins per homeserver, after the warm-up joins. */
const JOINS = { quick: 60, full: 400 } as const;
const WARMUP = { quick: 10, full: 30 } as const;
/** Targets: what the guard may add to a join. */
const TARGET = { p50Ms: 2, p99Ms: 5 } as const;

/** Percentiles of join latencies, ms. */
interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
}

function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean };
}

/** A user with `count` fresh public rooms to join on one homeserver, one at a time. */
async function prepareJoins(hs: SynapseHandle, count: number): Promise<() => Promise<number>> {
  const owner = hs.client(await hs.registerUser("owner"));
  const joiner = hs.client(await hs.registerUser("joiner"));
  const rooms: string[] = [];
  for (let i = 0; i < count; i++) rooms.push(await owner.createRoom({ preset: "public_chat" }));
  return async () => {
    const room = rooms.shift();
    if (room === undefined) throw new Error("no rooms left");
    const started = performance.now();
    const joined = await joiner.join(room);
    const ms = performance.now() - started;
    if (!joined.ok) throw new Error(`join refused: ${joined.error.errcode} ${joined.error.error}`);
    return ms;
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

function addedRow(measure: "p50" | "p99", on: Latency, off: Latency, targetMs: number): Row {
  const added = on[measure] - off[measure];
  return {
    measure: `added latency, ${measure}`,
    value: ms(added),
    baseline: `${ms(off[measure])} without the module, ${ms(on[measure])} with`,
    ratio: times(on[measure] / off[measure]),
    check: { target: `≤ ${targetMs} ms`, met: added <= targetMs },
  };
}

/** The guard's mean `user_may_join_room` decision time, from its own metrics, ms. */
async function meanDecisionMs(operationsUrl: string): Promise<number> {
  const text = await (await fetch(`${operationsUrl}/metrics`)).text();
  const value = (name: string) =>
    Number(
      text
        .split("\n")
        .find((l) => l.startsWith(`${name}{callback="user_may_join_room"}`))
        ?.split(" ")
        .pop(),
    );
  const count = value("redlight_guard_decision_duration_seconds_count");
  return (value("redlight_guard_decision_duration_seconds_sum") / count) * 1000;
}

/** Runs scenario 3b. */
export async function synapseJoinScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, ID);
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log("3b. synapse-join: starting the lookup service and two Synapses");
    const lookup = await startLookupProcess({
      dir: join(dir, "lookup"),
      rooms: LOOKUP_ROOMS,
      name: "lookup-for-synapse",
      scopes: ["directory"],
    });
    stops.push(() => lookup.stop());
    // Synapse reads the module config at start, so the guard's address and secret come first.
    const guardDir = join(dir, "guard");
    const secret = randomBytes(24).toString("hex");
    const guardPort = await freePort();
    const secretFile = join(dir, "antispam-for-synapse");
    writeFileSync(secretFile, secret, { mode: 0o600 });
    const failModes = {
      user_may_join_room: "open",
      user_may_invite: "open",
      federated_user_may_invite: "closed",
      user_may_publish_room: "closed",
    } as const;
    const module = antispamModuleConfig({
      listen: `127.0.0.1:${guardPort}`,
      antispam_secret_file: secretFile,
      fail_mode: failModes,
    });
    const [plain, hs] = await Promise.all([
      startSynapse({ startupTimeoutMs: 180_000 }),
      startSynapse({ antispam: module, startupTimeoutMs: 180_000 }),
    ]);
    stops.push(
      () => plain.stop(),
      () => hs.stop(),
    );
    const admin = await hs.registerUser("admin", { admin: true });
    writeFileSync(join(dir, "admin-token"), admin.accessToken, { mode: 0o600 });
    const guard = await startGuard(
      ctx,
      guardDir,
      lookup,
      secret,
      { clean_ttl: "30s", max_entries: 10_000 },
      {
        port: guardPort,
        homeserverUrl: hs.baseUrl,
        guard: { admin_token_file: join(dir, "admin-token"), fail_mode: failModes },
      },
    );
    stops.push(() => guard.service.stop());

    const joins = JOINS[ctx.mode];
    const warmup = WARMUP[ctx.mode];
    ctx.log(`3b. synapse-join: creating ${joins + warmup} rooms on each homeserver`);
    const [offJoin, onJoin] = [
      await prepareJoins(plain, joins + warmup),
      await prepareJoins(hs, joins + warmup),
    ];
    ctx.log(`3b. synapse-join: ${joins} joins each (after ${warmup} warm-up), alternating`);
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < joins + warmup; i++) {
      // The order flips every round: neither homeserver always goes first.
      let a: number, b: number;
      if (i % 2 === 0) {
        a = await offJoin();
        b = await onJoin();
      } else {
        b = await onJoin();
        a = await offJoin();
      }
      if (i < warmup) continue;
      off.push(a);
      on.push(b);
    }
    const without = latency(off);
    const withGuard = latency(on);
    const decisionMs = await meanDecisionMs(guard.operationsUrl);
    return {
      id: ID,
      title: TITLE,
      status: "measured",
      note:
        `POST /join on a real Synapse 1.163 (SQLite) with synapse-http-antispam and the guard ` +
        `(admin token, lookup client with the directory scope) against an identical Synapse ` +
        `without the module; ${joins} joins each into a new room, alternating; the difference ` +
        `of the percentiles. Two Synapses, the guard and the lookup service share two cores.`,
      rows: [
        addedRow("p50", withGuard, without, TARGET.p50Ms),
        addedRow("p99", withGuard, without, TARGET.p99Ms),
        {
          measure: "guard decision time, mean (its own metric)",
          value: `${decisionMs.toFixed(2)} ms`,
        },
      ],
      figures: { withGuard, decisionMs },
      baseline: { withoutModule: without },
      ratio: { p50: withGuard.p50 / without.p50, p99: withGuard.p99 / without.p99 },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
