/**
 * Scenario 7: what the client-API proxy adds to a knock. A stand-in homeserver
 * (knock-upstream.ts) answers whoami and knocks as Synapse does; the real guard process
 * (`redlight guard`, `guard.client_proxy` on) decides each knock on a clean room like a
 * join — whoami (cached per token), the join decision against the real lookup process
 * (the clean verdict cached) — and forwards it. The same POST goes straight to the
 * stand-in and through the guard, in alternating rounds on one connection each; the
 * difference of the percentiles is what the proxy adds in the steady state.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { LOOKUP_ROOMS, scenarioDir, type BenchContext } from "../context.js";
import type { LoadFigures, RequestPool } from "../load.js";
import { startLookupProcess } from "../lookup-process.js";
import { freePort, startService, tsxArgs, waitForHttp } from "../processes.js";
import { num, type Row, type ScenarioResult } from "../report.js";
import { startGuard } from "./guard.js";
import { alternate } from "./lookup.js";

const TOKEN = "synthetic-bench-token"; // knock-upstream.ts's BENCH_TOKEN
const KNOCK_PATH = `/_matrix/client/v3/knock/${encodeURIComponent("!bench-clean-knock:example.org")}`;
const CONNECTIONS = 1;

const knockPool: RequestPool = {
  method: "POST",
  path: KNOCK_PATH,
  headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
  bodies: [Buffer.from(JSON.stringify({ reason: "Synthetic: may I come in?" }))],
};

/** Runs scenario 7. */
export async function knockScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, "knock");
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log("7. knock: starting the lookup service, the stand-in homeserver and the guard");
    const lookup = await startLookupProcess({
      dir: join(dir, "lookup"),
      rooms: LOOKUP_ROOMS,
      name: "lookup-for-knock",
      scopes: ["directory"],
    });
    stops.push(() => lookup.stop());
    const upstreamPort = await freePort();
    const upstream = startService({
      name: "knock-upstream",
      args: [...tsxArgs("bench/knock-upstream.ts"), String(upstreamPort)],
      logDir: dir,
    });
    stops.push(() => upstream.stop());
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    const init = {
      method: "POST",
      headers: knockPool.headers,
      body: knockPool.bodies[0]?.toString("utf8") ?? "{}",
    };
    await waitForHttp(upstream, `${upstreamUrl}${KNOCK_PATH}`, { init });

    const proxyPort = await freePort();
    const guard = await startGuard(
      ctx,
      join(dir, "guard"),
      lookup,
      randomBytes(24).toString("hex"),
      { clean_ttl: "1h", max_entries: 50_000 },
      {
        homeserverUrl: upstreamUrl,
        guard: { client_proxy: { listen: `127.0.0.1:${proxyPort}` } },
      },
    );
    stops.push(() => guard.service.stop());
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    await waitForHttp(guard.service, `${proxyUrl}${KNOCK_PATH}`, { init });

    const { measured, baseline } = await alternate(
      ctx,
      { url: proxyUrl, pool: knockPool, pid: guard.service.child.pid },
      { url: upstreamUrl, pool: knockPool, pid: upstream.child.pid },
      CONNECTIONS,
    );
    const added = { p50: measured.p50Ms - baseline.p50Ms, p99: measured.p99Ms - baseline.p99Ms };
    return {
      id: "knock-proxy",
      title: "7. knock through the client-API proxy",
      status: "measured",
      note:
        `POST /_matrix/client/v3/knock/{clean room} through the guard's client-API proxy ` +
        `versus straight to a stand-in homeserver, ${CONNECTIONS} connection, alternating ` +
        `rounds. The proxy identifies the user (whoami, cached per token for 60 s), decides ` +
        `like a join (clean verdict cached for \`cache.clean_ttl\`) and forwards the knock.`,
      rows: rows(measured, baseline, added),
      figures: { ...measured, connections: CONNECTIONS },
      baseline: { ...baseline },
      ratio: { p50: measured.p50Ms / baseline.p50Ms, p99: measured.p99Ms / baseline.p99Ms },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function rows(
  measured: LoadFigures,
  baseline: LoadFigures,
  added: { p50: number; p99: number },
): Row[] {
  const ms = (v: number) => `${num(v, 2)} ms`;
  const out: Row[] = [
    {
      measure: "added latency, p50",
      value: ms(added.p50),
      baseline: `${ms(measured.p50Ms)} through the proxy, ${ms(baseline.p50Ms)} direct`,
      check: { target: "< 1 ms", met: added.p50 < 1 },
    },
    {
      measure: "added latency, p99",
      value: ms(added.p99),
      baseline: `${ms(measured.p99Ms)} through the proxy, ${ms(baseline.p99Ms)} direct`,
    },
    {
      measure: "knocks/s on one connection",
      value: num(measured.rps),
      baseline: `${num(baseline.rps)} direct`,
      ratio: `${(measured.rps / baseline.rps).toFixed(2)}×`,
    },
  ];
  if (measured.serverCpuUsPerRequest !== undefined)
    out.push({
      measure: "guard CPU per knock",
      value: `${num(measured.serverCpuUsPerRequest, 1)} µs`,
    });
  const failed = measured.non2xx + measured.errors;
  if (failed > 0)
    out.push({ measure: "failed requests", value: `${num(failed)} of ${num(measured.requests)}` });
  return out;
}
