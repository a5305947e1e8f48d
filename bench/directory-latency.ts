/**
 * What the room directory proxy adds to a 100-room page: the latency of
 * `GET /_matrix/client/v3/publicRooms?limit=100` straight from an upstream versus through
 * the guard's directory listener, alternating request by request on one keep-alive
 * connection each. The upstream is a stand-in homeserver serving one canned page of 100
 * synthetic rooms (name, topic, alias), so the difference is the proxy alone: forwarding,
 * parsing, filtering (1,000-term list on every name, topic and alias; the lookup's batch
 * check) and re-serialising. The lookup service runs in-process (SQLite).
 *
 *   npx tsx bench/directory-latency.ts [--requests 2000] [--warmup 200]
 *
 * Scenarios: `warm` (verdicts cached, the steady state), `cold` (a new set of 100 room ids
 * on every request: one batch check of 100 hashes each time), `search` (a POST with a
 * benign search term: the term is matched, then forwarded).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createLogger } from "../src/observability/logger.js";
import { FakeHomeserver, roomEntry } from "../test/doubles/fake-homeserver.js";
import { startGuard } from "../src/services/guard/main.js";
import {
  freePort,
  TestLookup,
  writeGuardConfig,
  writeGuardSecrets,
} from "../test/guard-fixture.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    warmup: { type: "string", default: "200" },
  },
});
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const PATH = "/_matrix/client/v3/publicRooms";

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  const ms = (v: number) => Number(v.toFixed(3));
  return { p50: ms(at(0.5)), p90: ms(at(0.9)), p99: ms(at(0.99)), mean: ms(mean) };
}

const SYLLABLES = ["ka", "lo", "mi", "zu", "ter", "vin", "dor", "pel", "qua", "sim"];
const word = (i: number) =>
  SYLLABLES.map((_, k) => SYLLABLES[(i * 7 + k * 3) % SYLLABLES.length])
    .slice(0, 3 + (i % 2))
    .join("");
const page = (generation: number) => ({
  chunk: Array.from({ length: 100 }, (_, i) =>
    roomEntry(`!bench-${generation}-${String(i).padStart(3, "0")}:example.org`, {
      name: `Synthetic room ${i} about ${word(i)}`,
      topic: `A synthetic topic for room ${i}: ${Array.from({ length: 15 }, (_, k) => word(i + k)).join(" ")}`,
      canonical_alias: `#synthetic-${i}:example.org`,
      num_joined_members: 1000 - i,
    }),
  ),
  next_batch: "synthetic-next",
  total_room_count_estimate: 5000,
});

async function timed(url: string, init?: RequestInit): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${url}`);
  return performance.now() - started;
}

const dir = mkdtempSync(join(tmpdir(), "redlight-bench-directory-"));
const upstream = await FakeHomeserver.start();
let generation = 0;
let cold = false;
upstream.answer = () => ({ status: 200, body: page(cold ? ++generation : 0) });
const lookup = await TestLookup.create(dir, {
  rate_limits: { client: { requests: 100_000_000, per: "1m" } },
});
await lookup.start();
await lookup.list("!bench-0-007:example.org", "!bench-0-042:example.org");
writeGuardSecrets(dir, lookup.token);
writeFileSync(
  join(dir, "terms.txt"),
  Array.from({ length: 1000 }, (_, i) => `zz${word(i)}${i}`).join("\n"),
);
const { config } = writeGuardConfig({
  dir,
  lookupUrl: lookup.url,
  lookupToken: lookup.token,
  homeserverUrl: upstream.url,
  guardPort: await freePort(),
  operationsPort: await freePort(),
  guard: {
    terms: [{ id: "bench", file: "./terms.txt", harms: ["m.spam"] }],
    client_proxy: { listen: "127.0.0.1:0" },
    directory: { refill_pages: 0 },
  },
});
const logger = createLogger(
  "warn",
  "guard",
  pino.destination({ dest: join(dir, "guard.log"), sync: true }),
);
const guard = await startGuard(config, logger);
const proxied = `${guard.clientProxyUrl}${PATH}?limit=100`;
const direct = `${upstream.url}${PATH}?limit=100`;
const search: RequestInit = {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ limit: 100, filter: { generic_search_term: "synthetic orchard" } }),
};

const rows: Record<string, unknown>[] = [];
for (const scenario of ["warm", "cold", "search"] as const) {
  cold = scenario === "cold";
  const init = scenario === "search" ? search : undefined;
  const samples = { direct: [] as number[], proxy: [] as number[] };
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    const d = await timed(direct, init);
    const p = await timed(proxied, init);
    if (i >= WARMUP) {
      samples.direct.push(d);
      samples.proxy.push(p);
    }
  }
  const d = stats(samples.direct);
  const p = stats(samples.proxy);
  rows.push({ scenario, path: "direct", ...d });
  rows.push({ scenario, path: "proxy", ...p });
  rows.push({
    scenario,
    path: "added",
    p50: Number((p.p50 - d.p50).toFixed(3)),
    p90: Number((p.p90 - d.p90).toFixed(3)),
    p99: Number((p.p99 - d.p99).toFixed(3)),
    mean: Number((p.mean - d.mean).toFixed(3)),
  });
}
console.table(rows);
console.log(
  `latency in ms; ${REQUESTS} requests per path and scenario after ${WARMUP} warm-up; node ${process.version}`,
);
await guard.stop();
await lookup.stop();
await upstream.stop();
rmSync(dir, { recursive: true, force: true });
