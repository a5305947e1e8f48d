import { describe, expect, it } from "vitest";
import { CheckEnumerationWatch, type EnumerationThresholds } from "./check-enumeration.js";

const T: EnumerationThresholds = {
  windowMs: 600_000,
  minNewHashes: 100,
  listedShare: 0.2,
  newHashes: 10_000,
};
/** A synthetic 64-hex hash, distinct per (prefix, n). */
const hash = (prefix: string, n: number) => `${prefix}${n.toString(16).padStart(63, "0")}`;
/** A fixed seed: the filter's rare false "seen" must not make the tests flaky. */
const SEED = Buffer.from("0123456789abcdef", "hex");
const batch = (prefix: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => hash(prefix, from + i));

describe("CheckEnumerationWatch", () => {
  it("fires once per window for a batch of 100 hashes, 90 listed", () => {
    const watch = new CheckEnumerationWatch(T, SEED);
    const asked = batch("a", 0, 100);
    const first = watch.observe("hs1", 1_000, asked, new Set(asked.slice(0, 90)));
    expect(first.fired).toEqual(["listed_share"]);
    expect(first.counts).toMatchObject({ hashes: 100, listed: 90, newHashes: 100, newListed: 90 });
    const more = batch("b", 0, 100);
    expect(watch.observe("hs1", 2_000, more, new Set(more)).fired).toEqual([]);
    // Another client is judged on its own.
    expect(watch.observe("hs2", 2_000, asked, new Set(asked.slice(0, 90))).fired).toEqual([
      "listed_share",
    ]);
  });

  it("stays quiet for a benign directory: 0–2 % listed, the same rooms again and again", () => {
    const watch = new CheckEnumerationWatch(T, SEED);
    const rooms = batch("c", 0, 500);
    const listed = new Set(rooms.filter((_, i) => i % 50 === 0)); // 2 %
    for (let minute = 0; minute < 60; minute++) {
      const at = minute * 60_000;
      for (let i = 0; i < rooms.length; i += 100) {
        const seen = watch.observe("hs1", at, rooms.slice(i, i + 100), listed);
        expect(seen.fired).toEqual([]);
      }
    }
  });

  it("waits for enough new hashes before judging the share", () => {
    const watch = new CheckEnumerationWatch(T, SEED);
    const few = batch("d", 0, 50);
    expect(watch.observe("hs1", 0, few, new Set(few)).fired).toEqual([]);
    const next = batch("d", 50, 50);
    expect(watch.observe("hs1", 1, next, new Set()).fired).toEqual(["listed_share"]);
  });

  it("is not diluted by repeating the same clean decoys", () => {
    const watch = new CheckEnumerationWatch(T, SEED);
    const decoys = batch("e", 0, 80);
    watch.observe("hs1", 0, decoys, new Set());
    let fired: string[] = [];
    for (let round = 0; round < 10; round++) {
      // 80 known decoys and 20 new probes, all listed: 20 % of the batch, 100 % of the new.
      const probes = batch("f", round * 20, 20);
      fired = fired.concat(
        watch.observe("hs1", 1 + round, [...decoys, ...probes], new Set(probes)).fired,
      );
    }
    expect(fired).toEqual(["listed_share"]);
  });

  it("fires on many new hashes after the first window, which is only a first sweep", () => {
    const watch = new CheckEnumerationWatch({ ...T, newHashes: 1_000 }, SEED);
    const sweep = (at: number, prefix: string) => {
      let fired: string[] = [];
      for (let i = 0; i < 1_100; i += 100)
        fired = fired.concat(watch.observe("hs1", at, batch(prefix, i, 100), new Set()).fired);
      return fired;
    };
    // The first window this process sees: everything is new, nothing to judge against.
    expect(sweep(0, "g")).toEqual([]);
    // The next window remembers the last one: the same hashes are not new.
    const again = watch.observe("hs1", T.windowMs, batch("g", 0, 100), new Set());
    expect(again.counts).toMatchObject({ hashes: 100, newHashes: 0 });
    // Long after, the last active window is still remembered: an idle directory is no sign.
    const later = watch.observe("hs1", 10 * T.windowMs, batch("g", 0, 100), new Set());
    expect(later.counts).toMatchObject({ hashes: 100, newHashes: 0 });
    // A window of 1,100 rooms it never asked about fires.
    expect(sweep(11 * T.windowMs, "h")).toEqual(["new_hashes"]);
  });
});
