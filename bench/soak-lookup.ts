/**
 * Soak of the lookup service: a real `redlight lookup` process under N minutes of
 * steady mixed load — clean lookups, hits that freeze pseudonyms, unfreezes, batch checks,
 * health probes, and hostile traffic (bad JSON, guessed tokens) from other addresses —
 * reporting heap and RSS growth, errors, and latency drift per minute. A script, not a test:
 *
 *   npx tsx bench/soak-lookup.ts [--minutes 30] [--rps 400] [--rooms 10000] [--postgres URL]
 *                                [--json FILE]
 *
 * An error is a transport failure, a 5xx, or a status the request's kind never expects.
 * Heap is sampled every 10 s from the service's own /metrics; growth compares the lowest
 * heap of the first and of the last quarter of the run (lows follow a GC, so noise cancels).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ljs4Hash } from "../src/core/hash.js";
import { cleanRoom, listedRoom, syntheticRdlist } from "../test/support/lookup-fixture.js";
import { addClients, spawnLookup, writeLookupConfig } from "../test/support/lookup-process.js";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    rps: { type: "string", default: "400" },
    rooms: { type: "string", default: "10000" },
    postgres: { type: "string" },
    json: { type: "string" },
  },
});
const MINUTES = Number(args.minutes);
const RPS = Number(args.rps);
const ROOMS = Number(args.rooms);

/** One kind of request in the mix: its weight, and the statuses it may answer. */
interface Kind {
  readonly name: string;
  readonly weight: number;
  readonly expect: readonly number[];
  send(n: number): Promise<Response>;
}

const dir = mkdtempSync(join(tmpdir(), "redlight-soak-"));
const database = args.postgres ?? "sqlite:./redlight.db";
writeLookupConfig({
  dir,
  database,
  list: syntheticRdlist(ROOMS),
  lookup: {
    trusted_proxies: ["127.0.0.1/32"], // so hostile and honest traffic come from two addresses
    rate_limits: { client: { requests: 1_000_000_000, per: "1m" } },
    sync_interval: "2s",
  },
});
const tokens = await addClients(database, dir, [
  { name: "hs1" },
  { name: "dir", scopes: ["directory"] },
]);
const service = await spawnLookup(dir, "soak.log", 120_000);
const honest = { authorization: `Bearer ${tokens.hs1}`, "x-forwarded-for": "198.51.100.1" };
const pick = (n: number, range: number) => (((n * 2654435761) >>> 0) % range) + 1;
const call = (path: string, method: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${service.apiUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
const LOOKUP = "/_matrix/loj/v1/abuse_lookup";

const KINDS: readonly Kind[] = [
  {
    name: "clean lookup",
    weight: 70,
    expect: [204, 403, 429],
    send: (n) =>
      call(LOOKUP, "PUT", honest, {
        room_id_hash: ljs4Hash(cleanRoom(n % 100_000)),
        user_id_hash: ljs4Hash(`@user-${pick(n, 50_000)}:example.org`),
      }),
  },
  {
    name: "hit",
    weight: 10,
    expect: [200, 403, 429],
    send: (n) =>
      call(LOOKUP, "PUT", honest, {
        room_id_hash: ljs4Hash(listedRoom(pick(n, ROOMS))),
        user_id_hash: ljs4Hash(`@curious-${pick(n, 2_000)}:example.org`),
      }),
  },
  {
    name: "unfreeze",
    weight: 3,
    expect: [200],
    send: (n) =>
      call("/_matrix/loj/v1/unfreeze", "POST", honest, {
        user_id_hash: ljs4Hash(`@curious-${pick(n, 2_000)}:example.org`),
      }),
  },
  {
    name: "batch check",
    weight: 5,
    expect: [200],
    send: (n) =>
      call(
        "/_matrix/loj/v1/check",
        "POST",
        { authorization: `Bearer ${tokens.dir}`, "x-forwarded-for": "198.51.100.2" },
        {
          room_id_hashes: Array.from({ length: 20 }, (_, i) =>
            ljs4Hash(listedRoom(pick(n + i, ROOMS * 2))),
          ),
        },
      ),
  },
  { name: "health", weight: 4, expect: [200], send: () => call("/health", "GET", {}) },
  {
    name: "bad json",
    weight: 4,
    expect: [400],
    send: (n) =>
      call(LOOKUP, "PUT", { ...honest, "x-forwarded-for": "203.0.113.9" }, `{"room_id_hash": ${n}`),
  },
  {
    name: "guessed token",
    weight: 4,
    expect: [401, 429],
    send: (n) =>
      call(
        LOOKUP,
        "PUT",
        {
          authorization: `Bearer ${"G".repeat(30)}${n % 1e10}`.slice(0, 47),
          "x-forwarded-for": "203.0.113.10",
        },
        { room_id_hash: ljs4Hash(cleanRoom(1)), user_id_hash: ljs4Hash("@g:example.org") },
      ),
  },
];
const TOTAL_WEIGHT = KINDS.reduce((s, k) => s + k.weight, 0);
const kindOf = (n: number): Kind => {
  let x = pick(n * 7 + 3, TOTAL_WEIGHT) - 1;
  for (const k of KINDS) if ((x -= k.weight) < 0) return k;
  return KINDS[0] as Kind;
};

interface Minute {
  minute: number;
  requests: number;
  errors: number;
  latenciesMs: number[];
  heapLow: number;
  rss: number;
}
const minutes: Minute[] = [];
const errorSamples: string[] = [];
const started = Date.now();
const currentMinute = (): Minute => {
  const m = Math.floor((Date.now() - started) / 60_000);
  while (minutes.length <= m)
    minutes.push({
      minute: minutes.length,
      requests: 0,
      errors: 0,
      latenciesMs: [],
      heapLow: Infinity,
      rss: 0,
    });
  return minutes[m] as Minute;
};

async function sample(): Promise<void> {
  const text = await (await fetch(`${service.operationsUrl}/metrics`)).text();
  const heap = Number(
    /^redlight_lookup_process_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1],
  );
  const rss = Number(
    /^redlight_lookup_process_process_resident_memory_bytes (\S+)/m.exec(text)?.[1],
  );
  const m = currentMinute();
  m.heapLow = Math.min(m.heapLow, heap);
  m.rss = Math.max(m.rss, rss);
}

async function one(n: number): Promise<void> {
  const kind = kindOf(n);
  const t0 = performance.now();
  let problem: string | undefined;
  try {
    const r = await kind.send(n);
    await r.arrayBuffer();
    if (!kind.expect.includes(r.status)) problem = `${kind.name}: HTTP ${r.status}`;
  } catch (e) {
    problem = `${kind.name}: ${(e as Error).name}`;
  }
  const m = currentMinute();
  m.requests++;
  if (kind.name.endsWith("lookup") || kind.name === "hit")
    m.latenciesMs.push(performance.now() - t0);
  if (problem !== undefined) {
    m.errors++;
    if (errorSamples.length < 20) errorSamples.push(problem);
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

console.log(
  `soak: ${MINUTES} min at ${RPS} req/s, ${ROOMS} rooms, ${database.split(":")[0]}; logs in ${dir}`,
);
const end = started + MINUTES * 60_000;
const inFlight = new Set<Promise<void>>();
const sampler = setInterval(() => void sample().catch(() => undefined), 10_000);
await sample();
let n = 0;
let printed = 0;
while (Date.now() < end) {
  // Open loop: start requests on schedule whatever the answers' speed, so slowness shows.
  const due = Math.floor(((Date.now() - started) / 1000) * RPS);
  while (n < due) {
    const p = one(n++);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  const now = currentMinute();
  if (now.minute > printed) {
    printed = now.minute;
    const done = minutes[printed - 1] as Minute;
    console.log(
      `minute ${done.minute}: ${done.requests} requests, ${done.errors} errors, ` +
        `p99 ${percentile(done.latenciesMs, 99).toFixed(2)} ms, heap low ${(done.heapLow / 1048576).toFixed(1)} MB`,
    );
  }
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.all(inFlight);
await sample();
clearInterval(sampler);

// Whole minutes only: the last one is cut short by the end of the run.
const full = minutes.filter((m) => m.requests >= RPS * 30 && Number.isFinite(m.heapLow));
const ms = (x: number) => Math.round(x * 100) / 100;
// Heap lows of the first and last quarter of the run: lows follow a full GC, and a quarter
// (rather than one minute) spans enough GCs that their timing does not decide the figure.
const quarter = Math.max(1, Math.floor(full.length / 4));
const firstLow = Math.min(...full.slice(0, quarter).map((m) => m.heapLow));
const lastLow = Math.min(...full.slice(-quarter).map((m) => m.heapLow));
const first = full[0] as Minute;
const last = full[full.length - 1] as Minute;
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
const report = {
  minutes: MINUTES,
  rps: RPS,
  rooms: ROOMS,
  database: database.split(":")[0],
  requests: minutes.reduce((s, m) => s + m.requests, 0),
  errors: minutes.reduce((s, m) => s + m.errors, 0),
  errorSamples,
  heapMb: {
    firstQuarterLow: mb(firstLow),
    lastQuarterLow: mb(lastLow),
    growth: mb(lastLow - firstLow),
  },
  rssMb: { firstMinute: mb(first.rss), lastMinute: mb(last.rss) },
  latencyMs: {
    firstMinute: {
      p50: ms(percentile(first.latenciesMs, 50)),
      p99: ms(percentile(first.latenciesMs, 99)),
    },
    lastMinute: {
      p50: ms(percentile(last.latenciesMs, 50)),
      p99: ms(percentile(last.latenciesMs, 99)),
    },
  },
  perMinute: full.map((m) => ({
    minute: m.minute,
    requests: m.requests,
    errors: m.errors,
    p50: ms(percentile(m.latenciesMs, 50)),
    p99: ms(percentile(m.latenciesMs, 99)),
    heapLowMb: mb(m.heapLow),
    rssMb: mb(m.rss),
  })),
  databaseBytes: database.startsWith("sqlite:") ? statSync(join(dir, "redlight.db")).size : null,
};
service.child.kill("SIGTERM");
const exitCode = await service.exited;
console.table(report.perMinute);
console.log(JSON.stringify({ ...report, perMinute: undefined, exitCode }, null, 2));
if (args.json !== undefined)
  writeFileSync(args.json, JSON.stringify({ ...report, exitCode }, null, 2));
rmSync(dir, { recursive: true, force: true });
