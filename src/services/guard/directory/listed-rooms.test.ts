import { beforeEach, describe, expect, it } from "vitest";
import type { RoomId } from "../../../core/ids.js";
import { FakeLookupClient } from "../../../../test/doubles/guard-fakes.js";
import { ListedRooms, MAX_CHECK_BATCH } from "./listed-rooms.js";

const room = (n: number) => `!synthetic-${String(n).padStart(4, "0")}:example.org` as RoomId;
const rooms = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => room(from + i));

describe("ListedRooms", () => {
  let lookup: FakeLookupClient;
  let now: number;
  let listed: ListedRooms;

  beforeEach(() => {
    lookup = new FakeLookupClient().list(room(3), "r3").list(room(250), "r250");
    now = 1_000;
    listed = new ListedRooms({
      lookup,
      ttlMs: 60_000,
      staleMs: 3_600_000,
      maxEntries: 1_000,
      hashesPerMinute: 100_000,
      now: () => now,
    });
  });

  it("asks in batches of at most 100 and finds the listed rooms", async () => {
    const page = rooms(0, 260);
    const verdicts = await listed.verdicts(page);
    expect(lookup.checks.map((b) => b.length)).toEqual([100, 100, 60]);
    expect(Math.max(...lookup.checks.map((b) => b.length))).toBeLessThanOrEqual(MAX_CHECK_BATCH);
    expect([...verdicts.listed.keys()].sort()).toEqual([room(3), room(250)]);
    expect(verdicts.listed.get(room(3))?.reportId).toBe("r3");
    expect(verdicts.unchecked.size).toBe(0);
  });

  it("answers from the cache within the TTL, listed verdicts included", async () => {
    await listed.verdicts(rooms(0, 10));
    now += 59_000;
    const again = await listed.verdicts([...rooms(0, 10), room(0)]);
    expect(lookup.checks).toHaveLength(1);
    expect(again.listed.has(room(3))).toBe(true);
    now += 2_000;
    await listed.verdicts(rooms(0, 10));
    expect(lookup.checks).toHaveLength(2);
  });

  it("uses stale verdicts while the lookup service is down, and reports the rest unchecked", async () => {
    await listed.verdicts(rooms(0, 5));
    now += 120_000; // past the TTL
    lookup.down = "unreachable";
    const verdicts = await listed.verdicts(rooms(0, 8));
    expect(verdicts.listed.has(room(3))).toBe(true); // stale, still hidden
    expect([...verdicts.unchecked].sort()).toEqual([room(5), room(6), room(7)]);
    now += 3_600_000; // past the stale limit
    expect((await listed.verdicts([room(3)])).unchecked.has(room(3))).toBe(true);
  });

  it("treats a 429 as rate limited, not as an outage: rooms unchecked, no question until the delay passed", async () => {
    const limited: number[] = [];
    listed = new ListedRooms({
      lookup,
      ttlMs: 60_000,
      staleMs: 3_600_000,
      maxEntries: 1_000,
      hashesPerMinute: 100_000,
      now: () => now,
      onRateLimited: () => limited.push(now),
    });
    lookup.checkRateLimitedMs = 5_000;
    expect((await listed.verdicts([room(1)])).unchecked.has(room(1))).toBe(true);
    lookup.checkRateLimitedMs = undefined;
    now += 4_000;
    expect((await listed.verdicts([room(2)])).unchecked.has(room(2))).toBe(true);
    expect(lookup.checks).toHaveLength(1); // not asked while it said to wait
    now += 1_001;
    expect((await listed.verdicts([room(3)])).listed.has(room(3))).toBe(true);
    expect(lookup.checks).toHaveLength(2);
    expect(limited).toEqual([1_000, 5_000]);
  });

  it("treats a client without the directory scope as unable to check", async () => {
    lookup.checkSupported = false;
    expect((await listed.verdicts([room(1)])).unchecked.has(room(1))).toBe(true);
  });

  it("shares one question between concurrent pages", async () => {
    const [a, b] = await Promise.all([
      listed.verdicts(rooms(0, 50)),
      listed.verdicts(rooms(0, 50)),
    ]);
    expect(lookup.checks).toHaveLength(1);
    expect(a.listed.has(room(3)) && b.listed.has(room(3))).toBe(true);
  });

  it("keeps at most maxEntries verdicts", async () => {
    const small = new ListedRooms({
      lookup,
      ttlMs: 60_000,
      staleMs: 60_000,
      maxEntries: 10,
      hashesPerMinute: 100_000,
      now: () => now,
    });
    await small.verdicts(rooms(0, 30));
    expect(small.size).toBe(10);
  });

  it("stays within its hash budget, counting the rest unchecked", async () => {
    let refused = 0;
    const budgeted = new ListedRooms({
      lookup,
      ttlMs: 60_000,
      staleMs: 60_000,
      maxEntries: 1_000,
      hashesPerMinute: 150,
      now: () => now,
      onBudgetExceeded: () => refused++,
    });
    const verdicts = await budgeted.verdicts(rooms(0, 250));
    // 100 asked, the next 100 would pass the budget, the last 50 fit.
    expect(lookup.checks.map((b) => b.length)).toEqual([100, 50]);
    expect(verdicts.unchecked.size).toBe(100);
    expect(refused).toBe(1);
    now += 120_000;
    expect((await budgeted.verdicts(rooms(100, 100))).unchecked.size).toBe(0);
  });
});
