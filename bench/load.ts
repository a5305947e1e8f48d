/**
 * Load generation with autocannon, driven from code. Every target of one scenario gets the
 * same request pool (same method, headers and bodies, in the same order), so the service and
 * its bare baseline do identical client-side work.
 *
 * Latency: autocannon's own histogram has whole-millisecond buckets, too coarse for
 * sub-millisecond services, so each response time is also recorded here in microseconds
 * (node:perf_hooks histogram) and the percentiles come from that.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createHistogram } from "node:perf_hooks";
import autocannon from "autocannon";

/** The requests a load run sends: one shape, bodies taken round-robin from a pool. */
export interface RequestPool {
  readonly method: "GET" | "PUT" | "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Bodies sent in turn; empty for body-less requests. */
  readonly bodies: readonly Buffer[];
}

/** What one load run measured. */
export interface LoadFigures {
  readonly seconds: number;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Responses outside 2xx. */
  readonly non2xx: number;
  /** Connection errors, timeouts included (requests that got no response at all). */
  readonly errors: number;
  /** Responses by status code. */
  readonly statuses: Readonly<Record<string, number>>;
  /**
   * CPU time the server process spent per answered request (user + system, µs), when its pid
   * was given and /proc is readable. Unlike requests/s this does not depend on whether the
   * load generator or the server ran out of CPU first on a machine they share.
   */
  readonly serverCpuUsPerRequest?: number;
  /** Cores the server process kept busy on average (1 = one core all the time). */
  readonly serverCores?: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /** The server's process id, to measure its CPU time (Linux /proc). */
  readonly pid?: number | undefined;
  /**
   * Requests per second offered across all connections (open loop). Without it each
   * connection sends its next request as soon as the last is answered: the server runs
   * flat out and the latencies measure its queue, not its answer.
   */
  readonly rate?: number | undefined;
}

/** User + system CPU milliseconds of a process so far, from /proc (undefined elsewhere). */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node supports. */
const CLOCK_TICKS = 100;

/** Runs autocannon against `baseUrl` with `pool` and returns its figures. */
export async function runLoad(
  baseUrl: string,
  pool: RequestPool,
  options: LoadOptions,
): Promise<LoadFigures> {
  if (options.rate !== undefined) return runPacedLoad(baseUrl, pool, options, options.rate);
  let next = 0;
  const { bodies } = pool;
  const latencyUs = createHistogram();
  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const options_: autocannon.Options = {
    url: baseUrl,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    requests: [
      {
        method: pool.method,
        path: pool.path,
        headers: { ...pool.headers },
        ...(bodies.length === 0
          ? {}
          : {
              setupRequest: (request: autocannon.Request) => {
                request.body = bodies[next++ % bodies.length];
                return request;
              },
            }),
      },
    ],
  };
  const instance = autocannon(options_, (error: unknown, result: autocannon.Result) =>
    error ? failed(error as Error) : finished(result),
  );
  instance.on("response", (_client, _status, _bytes, responseTimeMs) => {
    latencyUs.record(Math.max(1, Math.round(responseTimeMs * 1000)));
  });
  const cpuBefore = processCpuMs(options.pid);
  const result = await done;
  const cpuAfter = processCpuMs(options.pid);
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    statuses[code] = stat.count ?? 0;
  }
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    seconds: result.duration,
    requests: answered,
    rps: Math.round(answered / result.duration),
    p50Ms: ms(latencyUs.percentile(50)),
    p90Ms: ms(latencyUs.percentile(90)),
    p99Ms: ms(latencyUs.percentile(99)),
    maxMs: ms(latencyUs.max),
    non2xx: result.non2xx,
    errors: result.errors,
    statuses,
    ...cpuFigures(cpuBefore, cpuAfter, answered, result.duration),
  };
}

/**
 * Open-loop load: request i is sent at start + i / rate whether or not earlier ones were
 * answered, over at most `connections` kept-alive sockets (a request finding them all busy
 * waits for one, and that wait counts). Its latency runs from when it was sent: a server
 * that falls behind is charged for its backlog, the load generator's own late timers are
 * not. (autocannon's rate limit sends each second's requests in a burst, which measures
 * the burst.)
 */
async function runPacedLoad(
  baseUrl: string,
  pool: RequestPool,
  options: LoadOptions,
  rate: number,
): Promise<LoadFigures> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencyUs = createHistogram();
  const statuses: Record<string, number> = {};
  let errors = 0;
  let non2xx = 0;
  const total = Math.round(rate * options.seconds);
  const send = (i: number) =>
    new Promise<void>((resolve) => {
      const sent = performance.now();
      const body = pool.bodies.length === 0 ? undefined : pool.bodies[i % pool.bodies.length];
      const req = request(
        {
          hostname: url.hostname,
          port: url.port,
          path: pool.path,
          method: pool.method,
          agent,
          headers: { ...pool.headers, "content-length": body?.length ?? 0 },
          timeout: 10_000,
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencyUs.record(Math.max(1, Math.round((performance.now() - sent) * 1000)));
            const code = String(res.statusCode);
            statuses[code] = (statuses[code] ?? 0) + 1;
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) non2xx++;
            resolve();
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const cpuBefore = processCpuMs(options.pid);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(i));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  const cpuAfter = processCpuMs(options.pid);
  agent.destroy();
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    seconds,
    requests: answered,
    rps: Math.round(answered / seconds),
    p50Ms: ms(latencyUs.percentile(50)),
    p90Ms: ms(latencyUs.percentile(90)),
    p99Ms: ms(latencyUs.percentile(99)),
    maxMs: ms(latencyUs.max),
    non2xx,
    errors,
    statuses,
    ...cpuFigures(cpuBefore, cpuAfter, answered, seconds),
  };
}

function cpuFigures(
  before: number | undefined,
  after: number | undefined,
  answered: number,
  seconds: number,
): Pick<LoadFigures, "serverCpuUsPerRequest" | "serverCores"> {
  if (before === undefined || after === undefined || answered === 0) return {};
  return {
    serverCpuUsPerRequest: Math.round(((after - before) * 10_000) / answered) / 10,
    serverCores: Math.round(((after - before) / 1000 / seconds) * 100) / 100,
  };
}

/** Median of numbers (the middle run of several is less noisy than the mean). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
