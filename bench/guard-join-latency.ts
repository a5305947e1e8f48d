/**
 * What the guard adds to a real join: the latency of `POST /_matrix/client/v3/join/{room}`
 * on two real Synapses (1.163, SQLite, loopback) side by side: one with no antispam module,
 * one with synapse-http-antispam calling the guard, which asks the lookup service (in-process here)
 * and Synapse's admin API. Every join is to a new room, so every callback misses the clean
 * verdict cache and costs one admin API call plus one lookup: the worst common case.
 *
 *   npx tsx bench/guard-join-latency.ts [--joins 300] [--warmup 20]
 *
 * Prints p50/p90/p99/mean per mode and the guard's own decision time from its metrics.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createLogger } from "../src/observability/logger.js";
import { startGuard } from "../src/services/guard/main.js";
import { antispamModuleConfig } from "../src/services/guard/module-config.js";
import {
  freePort,
  TestLookup,
  writeGuardConfig,
  writeGuardSecrets,
} from "../test/guard-fixture.js";
import { startSynapse, type SynapseHandle } from "../test/support/synapse.js";

const { values } = parseArgs({
  options: { joins: { type: "string", default: "300" }, warmup: { type: "string", default: "20" } },
});
const JOINS = Number(values.joins);
const WARMUP = Number(values.warmup);

interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), mean };
}

/** A user ready to join `JOINS + WARMUP` fresh public rooms on one homeserver. */
async function prepareJoins(hs: SynapseHandle): Promise<{ next: () => Promise<number> }> {
  const owner = hs.client(await hs.registerUser("owner"));
  const joiner = hs.client(await hs.registerUser("joiner"));
  const rooms: string[] = [];
  for (let i = 0; i < JOINS + WARMUP; i++)
    rooms.push(await owner.createRoom({ preset: "public_chat" }));
  return {
    async next() {
      const room = rooms.shift();
      if (room === undefined) throw new Error("no rooms left");
      const started = performance.now();
      const joined = await joiner.join(room);
      const ms = performance.now() - started;
      if (!joined.ok)
        throw new Error(`join refused: ${joined.error.errcode} ${joined.error.error}`);
      return ms;
    },
  };
}

const fmt = (ms: number) => ms.toFixed(1).padStart(7);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "redlight-bench-guard-"));
  const results: Record<string, Stats> = {};
  const stops: (() => Promise<void>)[] = [];
  try {
    // Both homeservers run side by side and joins alternate between them, so machine noise
    // and drift fall on both modes alike.
    const plain = await startSynapse();
    stops.push(() => plain.stop());
    const lookup = await TestLookup.create(dir, { rate_limits: { user: { requests: 100_000 } } });
    await lookup.start();
    stops.push(() => lookup.stop());
    writeGuardSecrets(dir, lookup.token);
    const ports = { guardPort: await freePort(), operationsPort: await freePort() };
    const base = { dir, lookupUrl: lookup.url, lookupToken: lookup.token, ...ports };
    const early = writeGuardConfig({ ...base, homeserverUrl: "http://127.0.0.1:1" });
    const hs = await startSynapse({ antispam: antispamModuleConfig(early.config.guard) });
    stops.push(() => hs.stop());
    const admin = await hs.registerUser("admin", { admin: true });
    const { config } = writeGuardConfig({
      ...base,
      homeserverUrl: hs.baseUrl,
      adminToken: admin.accessToken,
    });
    const logger = createLogger(
      "warn",
      "guard",
      pino.destination({ dest: join(dir, "guard.log"), sync: false }),
    );
    const guard = await startGuard(config, logger);
    stops.push(() => guard.stop());

    console.error(`preparing ${JOINS + WARMUP} rooms on each homeserver`);
    const offJoins = await prepareJoins(plain);
    const onJoins = await prepareJoins(hs);
    const samples: Record<string, number[]> = { "module off": [], "guard on": [] };
    console.error(`timing ${JOINS} joins per mode (after ${WARMUP} warm-up joins), alternating`);
    for (let i = 0; i < JOINS + WARMUP; i++) {
      const [a, b] = [await offJoins.next(), await onJoins.next()];
      if (i < WARMUP) continue;
      samples["module off"]!.push(a);
      samples["guard on"]!.push(b);
    }
    for (const [mode, values] of Object.entries(samples)) results[mode] = stats(values);
    const metrics = await (await fetch(`${guard.operationsUrl}/metrics`)).text();
    const value = (name: string) =>
      Number(
        metrics
          .split("\n")
          .find((l) => l.startsWith(`${name}{callback="user_may_join_room"}`))
          ?.split(" ")
          .pop(),
      );
    const decisions = value("redlight_guard_decision_duration_seconds_count");
    const seconds = value("redlight_guard_decision_duration_seconds_sum");
    console.log(
      `guard decision time (its own metric): mean ${((seconds / decisions) * 1000).toFixed(2)} ms over ${decisions} callbacks`,
    );

    console.log("\nlatency of POST /join on a real Synapse, ms");
    console.log("mode          n      p50     p90     p99    mean");
    for (const [mode, s] of Object.entries(results)) {
      console.log(
        `${mode.padEnd(11)} ${String(s.n).padStart(4)} ${fmt(s.p50)} ${fmt(s.p90)} ${fmt(s.p99)} ${fmt(s.mean)}`,
      );
    }
    const on = results["guard on"];
    const off = results["module off"];
    if (on !== undefined && off !== undefined) {
      console.log(`added by the guard: p50 ${fmt(on.p50 - off.p50)}  p99 ${fmt(on.p99 - off.p99)}`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
