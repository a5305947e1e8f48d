/**
 * Scenario 1: lookup throughput and latency. The real lookup service (100,000-room list,
 * SQLite or PostgreSQL) against a bare node:http server answering 204, both as their own
 * processes, both sent the same pool of LJS-4 lookups by 50 connections. Runs alternate
 * service / baseline so drift on a shared machine hits both alike; medians are reported.
 */
import { CONNECTIONS, LOOKUP_ROOMS, scenarioDir, type BenchContext } from "../context.js";
import { runLoad, type LoadFigures, type RequestPool } from "../load.js";
import { startBareServer, startLookupProcess } from "../lookup-process.js";
import { num, times, type Row, type ScenarioResult } from "../report.js";
import { HIT_SHARE, PSEUDONYMS, lookupBodies } from "../synthetic.js";
import { startPostgres } from "../../test/support/postgres.js";

/** The LJS-4 lookup request shape, with a pool of bodies. */
export function lookupPool(token: string, bodies: readonly Buffer[]): RequestPool {
  return {
    method: "PUT",
    path: "/_matrix/loj/v1/abuse_lookup",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    bodies,
  };
}

/** A server to load: where, with what, and its process (for its CPU time). */
export interface Target {
  readonly url: string;
  readonly pool: RequestPool;
  readonly pid: number | undefined;
}

/**
 * Measures `target` and `baseline` in alternating rounds and returns one round's pair: the
 * round whose requests/s ratio (p99 ratio, when paced) is the median, so the figures
 * reported side by side were measured minutes apart at most, under the same conditions.
 * With `rate`, both are offered that many requests per second (open loop,
 * `LoadOptions.rate`) instead of running flat out.
 */
export async function alternate(
  ctx: BenchContext,
  target: Target,
  baseline: Target,
  connections = CONNECTIONS,
  rate?: number,
): Promise<{ measured: LoadFigures; baseline: LoadFigures }> {
  const { warmupSeconds, seconds, rounds } = ctx.timing;
  const load = (t: Target, s: number) =>
    runLoad(t.url, t.pool, { connections, seconds: s, pid: t.pid, rate });
  await load(target, warmupSeconds);
  await load(baseline, warmupSeconds);
  const pairs: { measured: LoadFigures; baseline: LoadFigures }[] = [];
  for (let round = 0; round < rounds; round++) {
    const m = await load(target, seconds);
    const b = await load(baseline, seconds);
    pairs.push({ measured: m, baseline: b });
    ctx.log(
      `  round ${round + 1}: service ${m.rps} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ` +
        `${m.serverCpuUsPerRequest ?? "?"} µs CPU/req; bare ${b.rps} req/s, ` +
        `p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, ${b.serverCpuUsPerRequest ?? "?"} µs CPU/req`,
    );
  }
  // Paced, both answer the rate asked: the round that tells them apart is the latency's.
  const ratio = (p: (typeof pairs)[number]) =>
    rate === undefined ? p.measured.rps / p.baseline.rps : p.measured.p99Ms / p.baseline.p99Ms;
  const sorted = pairs.sort((a, b) => ratio(a) - ratio(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as (typeof pairs)[number];
}

/** The table rows and raw figures of a service-vs-bare comparison. */
export function comparisonRows(
  measured: LoadFigures,
  baseline: LoadFigures,
  targets: { rpsRatio?: number; p99Ms?: number; p50Ms?: number },
): { rows: Row[]; ratio: { rps: number; p50: number; p99: number } } {
  const ratio = {
    rps: measured.rps / baseline.rps,
    p50: measured.p50Ms / baseline.p50Ms,
    p99: measured.p99Ms / baseline.p99Ms,
  };
  const ms = (v: number) => `${num(v, 2)} ms`;
  const rows: Row[] = [
    {
      measure: "requests/s",
      value: num(measured.rps),
      baseline: num(baseline.rps),
      ratio: times(ratio.rps),
      ...(targets.rpsRatio === undefined
        ? {}
        : { check: { target: `≥ ${targets.rpsRatio}× bare`, met: ratio.rps >= targets.rpsRatio } }),
    },
    {
      measure: "p50 latency",
      value: ms(measured.p50Ms),
      baseline: ms(baseline.p50Ms),
      ratio: times(ratio.p50),
      ...(targets.p50Ms === undefined
        ? {}
        : { check: { target: `< ${targets.p50Ms} ms`, met: measured.p50Ms < targets.p50Ms } }),
    },
    {
      measure: "p99 latency",
      value: ms(measured.p99Ms),
      baseline: ms(baseline.p99Ms),
      ratio: times(ratio.p99),
      ...(targets.p99Ms === undefined
        ? {}
        : { check: { target: `< ${targets.p99Ms} ms`, met: measured.p99Ms < targets.p99Ms } }),
    },
  ];
  const cpu = measured.serverCpuUsPerRequest;
  const bareCpu = baseline.serverCpuUsPerRequest;
  if (cpu !== undefined && bareCpu !== undefined) {
    rows.push(
      {
        measure: "server CPU per request",
        value: `${num(cpu, 1)} µs`,
        baseline: `${num(bareCpu, 1)} µs`,
        ratio: times(cpu / bareCpu),
      },
      {
        measure: "requests/s one core could serve",
        value: num(1e6 / cpu),
        baseline: num(1e6 / bareCpu),
        ratio: times(bareCpu / cpu),
      },
    );
  }
  const failed = measured.non2xx + measured.errors;
  if (failed > 0)
    rows.push({ measure: "failed requests", value: `${num(failed)} of ${num(measured.requests)}` });
  return { rows, ratio };
}

/** Runs scenario 1 on SQLite or PostgreSQL. */
export async function lookupScenario(
  ctx: BenchContext,
  database: "sqlite" | "postgres",
): Promise<ScenarioResult> {
  const id = `lookup-${database}`;
  const title = `1. lookup, ${database === "sqlite" ? "SQLite" : "PostgreSQL"}`;
  const dir = scenarioDir(ctx, id);
  const pg = database === "postgres" ? await startPostgres() : undefined;
  const stops: (() => Promise<void>)[] = [];
  try {
    const url = pg ? await pg.createDatabase("redlight_bench") : undefined;
    ctx.log(`${title}: starting the lookup service with ${num(LOOKUP_ROOMS)} rooms`);
    const lookup = await startLookupProcess({
      dir,
      rooms: LOOKUP_ROOMS,
      ...(url === undefined ? {} : { database: url }),
      nodeFlags: ctx.serviceFlags,
    });
    stops.push(() => lookup.stop());
    const bare = await startBareServer(dir);
    stops.push(() => bare.service.stop());
    const pool = lookupPool(lookup.token, lookupBodies(LOOKUP_ROOMS));
    const result = await alternate(
      ctx,
      { url: lookup.apiUrl, pool, pid: lookup.service.child.pid },
      { url: bare.url, pool, pid: bare.service.child.pid },
    );
    const { rows, ratio } = comparisonRows(result.measured, result.baseline, {
      rpsRatio: 0.85,
      p99Ms: 5,
    });
    return {
      id,
      title,
      status: "measured",
      note:
        `${num(LOOKUP_ROOMS)}-room list, ${CONNECTIONS} connections, ${HIT_SHARE * 100}% hits ` +
        `(each recorded in the database), ${num(PSEUDONYMS)} distinct pseudonyms, quotas raised.` +
        (pg ? " PostgreSQL runs on the same two cores, with fsync off (throwaway cluster)." : ""),
      rows,
      figures: { ...result.measured, rooms: LOOKUP_ROOMS, connections: CONNECTIONS },
      baseline: { ...result.baseline },
      ratio,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    await pg?.stop();
  }
}
