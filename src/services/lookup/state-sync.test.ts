import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "../../core/rate-limit.js";
import { SqliteStorage } from "../../storage/sqlite.js";
import type { QuotaCount, Storage } from "../../storage/storage.js";
import { ClientRegistry } from "./client-registry.js";
import { FreezeCache } from "./freeze-cache.js";
import { createLookupMetrics } from "./metrics.js";
import { SHARE_BATCH, StateSync } from "./state-sync.js";

const NOW = 1_000_000;
const quota = { limit: 40, windowMs: 60_000 }; // user keys shared from 10 (a quarter)

/** One lookup process's limiters and sync, on a shared store. */
function processOn(storage: Storage) {
  const limiters = {
    client: new SlidingWindowLimiter(quota),
    user: new SlidingWindowLimiter(quota),
  };
  const sync = new StateSync({
    storage,
    clients: new ClientRegistry(["csam"]),
    freezes: new FreezeCache(() => NOW),
    limiters,
    shareEveryKey: ["client"],
    metrics: createLookupMetrics(),
    logger: pino({ level: "silent" }),
    now: () => NOW,
    auditRetentionMs: 86_400_000,
  });
  const use = (scope: "client" | "user", key: string, times: number) => {
    for (let i = 0; i < times; i++) limiters[scope].consume(key, NOW);
  };
  const allowed = (scope: "client" | "user", key: string) => {
    let n = 0;
    while (limiters[scope].check(key, NOW, n + 1).allowed) n++;
    return n;
  };
  return { limiters, sync, use, allowed };
}

describe("StateSync quota sharing", () => {
  let storage: SqliteStorage;
  const shared = async (prefix: string): Promise<QuotaCount[]> =>
    storage.busyQuotaCounts(prefix, 1, 0);
  beforeEach(async () => {
    storage = await SqliteStorage.open(":memory:");
  });
  afterEach(async () => {
    await storage.close();
  });

  it("shares every client key, and a user key only from a quarter of its limit", async () => {
    const a = processOn(storage);
    a.use("client", "hs1", 2);
    a.use("user", "hs1\nquiet", 9);
    await a.sync.syncOnce();
    expect(await shared("client:")).toEqual([
      { key: "client:hs1", windowStart: 960_000, count: 2 },
    ]);
    expect(await shared("user:")).toEqual([]);
    // The tenth lookup reaches a quarter: all ten are shared, none was lost meanwhile.
    a.use("user", "hs1\nquiet", 1);
    await a.sync.syncOnce();
    expect(await shared("user:")).toEqual([
      { key: "user:hs1\nquiet", windowStart: 960_000, count: 10 },
    ]);
  });

  it("adds up a user's lookups on two processes once each is past a quarter", async () => {
    const [a, b] = [processOn(storage), processOn(storage)];
    a.use("user", "hs1\nsplit", 12);
    b.use("user", "hs1\nsplit", 12);
    await a.sync.syncOnce();
    await b.sync.syncOnce(); // b learns a's 12 with its own total
    expect(b.allowed("user", "hs1\nsplit")).toBe(40 - 24);
    await a.sync.syncOnce(); // 24 ≥ half the limit: every process pulls it
    expect(a.allowed("user", "hs1\nsplit")).toBe(40 - 24);
  });

  it("documents the trade-off: below a quarter on each process, nobody else sees the count", async () => {
    const [a, b] = [processOn(storage), processOn(storage)];
    a.use("user", "hs1\nspread", 9);
    b.use("user", "hs1\nspread", 9);
    await a.sync.syncOnce();
    await b.sync.syncOnce();
    expect(a.allowed("user", "hs1\nspread")).toBe(40 - 9);
    expect(await shared("user:")).toEqual([]);
  });

  it("writes many busy keys in batches, with totals applied from each", async () => {
    const calls: number[] = [];
    const counting: Storage = Object.create(storage, {
      addQuotaCounts: {
        value: (deltas: Parameters<Storage["addQuotaCounts"]>[0]) => {
          calls.push(deltas.length);
          return storage.addQuotaCounts(deltas);
        },
      },
    }) as Storage;
    const [a, b] = [processOn(counting), processOn(counting)];
    const keys = SHARE_BATCH * 2 + 10;
    for (let i = 0; i < keys; i++) b.use("user", `hs1\nu${i}`, 10);
    await b.sync.syncOnce();
    for (let i = 0; i < keys; i++) a.use("user", `hs1\nu${i}`, 10);
    calls.length = 0;
    await a.sync.syncOnce();
    // The client scope's batch is empty (still a write: the health probe), then the users.
    expect(calls).toEqual([0, SHARE_BATCH, SHARE_BATCH, 10]);
    expect(a.allowed("user", "hs1\nu0")).toBe(20);
    expect(a.allowed("user", `hs1\nu${keys - 1}`)).toBe(20);
  });
});
