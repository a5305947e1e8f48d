/**
 * Scenario `directory-attack`: directory traffic must never starve the callbacks Synapse
 * waits on. The real guard process (hashed term list, `guard.directory` on, join fail
 * mode `open` so that a join answered by the fail mode shows as an allow) in front of the
 * real lookup process and a stand-in homeserver serving the costliest remote page we can
 * make (rooms-upstream.ts `costly`: 100 rooms, name and topic 4,096 × U+FDFA each, new
 * room ids every time). `user_may_join_room` callbacks for listed rooms run alone (the
 * baseline), then while 8 connections hammer the directory: the review's search (64 KiB of
 * "l1l1l1 "), the costliest search within the length limit (256 × U+FDFA), and the page.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashTerm } from "../../src/core/text/index.js";
import { scenarioDir, type BenchContext } from "../context.js";
import { runLoad, type LoadFigures, type RequestPool } from "../load.js";
import { startLookupProcess } from "../lookup-process.js";
import { freePort, startService, tsxArgs, waitForHttp } from "../processes.js";
import { num, type Row, type ScenarioResult } from "../report.js";
import { syntheticRoomId } from "../synthetic.js";
import { startGuard } from "./guard.js";

const JOIN_PATH = "/_redlight/antispam/user_may_join_room";
const DIRECTORY_PATH = "/_matrix/client/v3/publicRooms";
const JOIN_CONNECTIONS = 2;
const LIST_ROOMS = 10_000;

/** Joins of listed rooms (synthetic rooms 1–9 carry the filtered `csam` tag). */
function joinPool(secret: string): RequestPool {
  const bodies = Array.from({ length: 5_000 }, (_, i) =>
    Buffer.from(
      JSON.stringify({
        user: `@attack-bench-${i}:example.org`,
        room: syntheticRoomId(1 + (i % 9)),
        is_invited: false,
      }),
    ),
  );
  return {
    method: "POST",
    path: JOIN_PATH,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    bodies,
  };
}

const searchPool = (term: string): RequestPool => ({
  method: "POST",
  path: DIRECTORY_PATH,
  headers: { "content-type": "application/json" },
  bodies: [Buffer.from(JSON.stringify({ filter: { generic_search_term: term } }))],
});

/** The attack: 8 connections in all, each kind of request on its own. */
const ATTACK: readonly { name: string; pool: RequestPool; connections: number }[] = [
  // Just under the directory's 64 KiB body limit, as in the review.
  { name: "64 KiB search", pool: searchPool("l1l1l1 ".repeat(9_300)), connections: 3 },
  { name: "256 × U+FDFA search", pool: searchPool("\uFDFA".repeat(256)), connections: 3 },
  {
    name: "costly remote page",
    pool: {
      method: "GET",
      path: `${DIRECTORY_PATH}?server=hostile.example`,
      headers: {},
      bodies: [],
    },
    connections: 2,
  },
];

/** Runs the scenario. */
export async function directoryAttackScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, "directory-attack");
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log("directory-attack: starting the lookup service, the hostile upstream and the guard");
    const lookup = await startLookupProcess({
      dir: join(dir, "lookup"),
      rooms: LIST_ROOMS,
      name: "lookup-for-attack",
      scopes: ["directory"],
    });
    stops.push(() => lookup.stop());
    const upstreamPort = await freePort();
    const upstream = startService({
      name: "costly-upstream",
      args: [...tsxArgs("bench/rooms-upstream.ts"), String(upstreamPort), "costly"],
      logDir: dir,
    });
    stops.push(() => upstream.stop());
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    await waitForHttp(upstream, `${upstreamUrl}${DIRECTORY_PATH}`);

    const guardDir = join(dir, "guard");
    mkdirSync(guardDir, { recursive: true });
    // A hashed list: every token n-gram of a text is hashed (the review's costly case).
    writeFileSync(join(guardDir, "terms.txt"), hashTerm("quokkaberry").join("\n"));
    const directoryPort = await freePort();
    const secret = randomBytes(24).toString("hex");
    const guard = await startGuard(
      ctx,
      guardDir,
      lookup,
      secret,
      { clean_ttl: "1h", max_entries: 50_000 },
      {
        homeserverUrl: upstreamUrl,
        guard: {
          terms: [{ id: "bench", file: "./terms.txt", format: "sha256", max_words: 4 }],
          client_proxy: { listen: `127.0.0.1:${directoryPort}` },
          directory: { refill_pages: 0 },
          fail_mode: { user_may_join_room: "open" },
        },
      },
    );
    stops.push(() => guard.service.stop());
    const proxyUrl = `http://127.0.0.1:${directoryPort}`;
    const joins = joinPool(secret);
    const { seconds, warmupSeconds } = ctx.timing;
    const pid = guard.service.child.pid;

    await runLoad(guard.url, joins, { connections: JOIN_CONNECTIONS, seconds: warmupSeconds });
    ctx.log("directory-attack: joins alone (baseline)");
    const baseline = await runLoad(guard.url, joins, {
      connections: JOIN_CONNECTIONS,
      seconds,
      pid,
    });
    ctx.log("directory-attack: joins while 8 connections attack the directory");
    const [attacked, ...attack] = await Promise.all([
      runLoad(guard.url, joins, { connections: JOIN_CONNECTIONS, seconds, pid }),
      ...ATTACK.map((a) => runLoad(proxyUrl, a.pool, { connections: a.connections, seconds })),
    ]);
    const measured = attacked;
    // A listed room is refused (403); 200 is the open fail mode's answer.
    const failMode = (f: LoadFigures) => f.statuses["200"] ?? 0;
    const ms = (v: number) => `${num(v, 2)} ms`;
    const rows: Row[] = [
      {
        measure: "joins answered by the fail mode",
        value: `${num(failMode(measured))} of ${num(measured.requests)}`,
        baseline: `${num(failMode(baseline))} of ${num(baseline.requests)} without attack`,
        check: { target: "0", met: failMode(measured) === 0 && measured.errors === 0 },
      },
      {
        measure: "join p50",
        value: ms(measured.p50Ms),
        baseline: `${ms(baseline.p50Ms)} without attack`,
        ratio: `${(measured.p50Ms / baseline.p50Ms).toFixed(2)}×`,
      },
      {
        measure: "join p99",
        value: ms(measured.p99Ms),
        baseline: `${ms(baseline.p99Ms)} without attack`,
        ratio: `${(measured.p99Ms / baseline.p99Ms).toFixed(2)}×`,
        check: { target: "≤ 20 ms", met: measured.p99Ms <= 20 },
      },
      { measure: "join max", value: ms(measured.maxMs), baseline: ms(baseline.maxMs) },
      ...ATTACK.map((a, i) => ({
        measure: `directory: ${a.name} (${a.connections} conn.)`,
        value: statusSummary(attack[i] as LoadFigures),
      })),
    ];
    return {
      id: "directory-attack",
      title: "6. directory attack vs. join callbacks",
      status: "measured",
      note:
        `user_may_join_room for listed rooms (${JOIN_CONNECTIONS} connections; fail mode open, ` +
        `so a missed lookup deadline shows as an allow) alone, then while 8 connections send ` +
        `the review's 64 KiB "l1l1l1 " search, 256 × U+FDFA searches and GETs of a remote page ` +
        `of 100 rooms whose names and topics are 4,096 × U+FDFA (new room ids each time), ` +
        `against a hashed term list. Guard, lookup, stand-in and load generator share two cores.`,
      rows,
      figures: {
        joins: measured,
        attack: Object.fromEntries(ATTACK.map((a, i) => [a.name, attack[i]])),
      },
      baseline: { joins: baseline },
      ratio: { p50: measured.p50Ms / baseline.p50Ms, p99: measured.p99Ms / baseline.p99Ms },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function statusSummary(f: LoadFigures): string {
  const parts = Object.entries(f.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${num(count)}`);
  if (f.errors > 0) parts.push(`no answer: ${num(f.errors)}`);
  return `${num(f.requests)} answered (${parts.join(", ")})`;
}
