/**
 * Scenario 4: what the room directory proxy adds to a 100-room `publicRooms` page. A
 * stand-in homeserver (rooms-upstream.ts) serves one canned page; the real guard process
 * (`redlight guard`, `guard.directory` on) proxies it, asking the real lookup process about
 * the page's rooms (batch check) and matching every name, topic and alias against a
 * 1,000-term list. The same GET goes straight to the stand-in and through the guard, in
 * alternating rounds on one connection each (latency without queueing); the difference of
 * the percentiles is what the proxy adds.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOOKUP_ROOMS, scenarioDir, type BenchContext } from "../context.js";
import type { LoadFigures, RequestPool } from "../load.js";
import { startLookupProcess } from "../lookup-process.js";
import { freePort, startService, tsxArgs, waitForHttp } from "../processes.js";
import { num, type Row, type ScenarioResult } from "../report.js";
import { startGuard } from "./guard.js";
import { alternate } from "./lookup.js";

const PAGE_PATH = "/_matrix/client/v3/publicRooms?limit=100";
/** One connection: the latency of one page, not of a queue of them. */
const CONNECTIONS = 1;
const TERMS = 1_000;

const pagePool: RequestPool = { method: "GET", path: PAGE_PATH, headers: {}, bodies: [] };

/** Made-up terms that never occur in the synthetic page (the common case: nothing matches). */
function termList(): string {
  return Array.from({ length: TERMS }, (_, i) => `zzbenchterm${i.toString(36)}`).join("\n");
}

/** Runs scenario 4. */
export async function directoryScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, "directory");
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log("4. directory: starting the lookup service, the stand-in homeserver and the guard");
    const lookup = await startLookupProcess({
      dir: join(dir, "lookup"),
      rooms: LOOKUP_ROOMS,
      name: "lookup-for-directory",
      scopes: ["directory"],
    });
    stops.push(() => lookup.stop());
    const upstreamPort = await freePort();
    const upstream = startService({
      name: "rooms-upstream",
      args: [...tsxArgs("bench/rooms-upstream.ts"), String(upstreamPort)],
      logDir: dir,
    });
    stops.push(() => upstream.stop());
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
    await waitForHttp(upstream, `${upstreamUrl}${PAGE_PATH}`);

    const guardDir = join(dir, "guard");
    const directoryPort = await freePort();
    mkdirSync(guardDir, { recursive: true });
    writeFileSync(join(guardDir, "terms.txt"), termList());
    const guard = await startGuard(
      ctx,
      guardDir,
      lookup,
      randomBytes(24).toString("hex"),
      { clean_ttl: "1h", max_entries: 50_000 },
      {
        homeserverUrl: upstreamUrl,
        guard: {
          terms: [{ id: "bench", file: "./terms.txt", harms: ["m.spam"] }],
          // No refill: one upstream request per page either way.
          client_proxy: { listen: `127.0.0.1:${directoryPort}` },
          directory: { refill_pages: 0 },
        },
      },
    );
    stops.push(() => guard.service.stop());
    const proxyUrl = `http://127.0.0.1:${directoryPort}`;
    await waitForHttp(guard.service, `${proxyUrl}${PAGE_PATH}`);

    const result = await alternate(
      ctx,
      { url: proxyUrl, pool: pagePool, pid: guard.service.child.pid },
      { url: upstreamUrl, pool: pagePool, pid: upstream.child.pid },
      CONNECTIONS,
    );
    const { measured, baseline } = result;
    const added = { p50: measured.p50Ms - baseline.p50Ms, p99: measured.p99Ms - baseline.p99Ms };
    return {
      id: "directory-proxy",
      title: "4. directory proxy overhead",
      status: "measured",
      note:
        `GET publicRooms?limit=100 (a canned page of 100 rooms with names, topics and ` +
        `aliases, 2 of them listed) through the guard's directory proxy versus straight from ` +
        `the stand-in homeserver, ${CONNECTIONS} connection, alternating rounds. The proxy ` +
        `checks the page's rooms with the lookup service (verdicts are reused for ` +
        `\`verdict_ttl\`, 5 min, so the steady state asks nothing), matches names, topics ` +
        `and aliases against ${num(TERMS)} terms, and re-serialises the filtered page.`,
      rows: rows(measured, baseline, added),
      figures: { ...measured, connections: CONNECTIONS, terms: TERMS },
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
      measure: "pages/s on one connection",
      value: num(measured.rps),
      baseline: `${num(baseline.rps)} direct`,
      ratio: `${(measured.rps / baseline.rps).toFixed(2)}×`,
    },
  ];
  if (measured.serverCpuUsPerRequest !== undefined) {
    out.push({
      measure: "guard CPU per page",
      value: `${num(measured.serverCpuUsPerRequest, 1)} µs`,
      ...(baseline.serverCpuUsPerRequest === undefined
        ? {}
        : { baseline: `${num(baseline.serverCpuUsPerRequest, 1)} µs the stand-in's` }),
    });
  }
  const failed = measured.non2xx + measured.errors;
  if (failed > 0)
    out.push({ measure: "failed requests", value: `${num(failed)} of ${num(measured.requests)}` });
  return out;
}
