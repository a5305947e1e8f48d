import { describe, expect, it } from "vitest";
import { ljs4Hash } from "../core/hash.js";
import { SourceListBuilder } from "../core/source-list.js";
import { decodeListBytes } from "./build-task.js";
import { encryptList } from "./encryption.js";
import { decodeOffThread, mergeOffThread } from "./off-thread.js";

const room = (n: number) => `!synthetic-${n}:example.org`;
const CSAM = new Set(["csam"]);

/** An rdlist document of `rooms` synthetic rooms; every tenth is tagged spam only. */
function listText(rooms: number, first = 0): string {
  const reports = Array.from({ length: rooms }, (_, i) => ({
    report_id: `r-${first + i}`,
    room: { room_id: room(first + i) },
    report_info: { tags: (first + i) % 10 === 0 ? ["spam"] : ["csam"] },
  }));
  return JSON.stringify(reports);
}

describe("decodeOffThread", () => {
  it("builds in a worker the same list as on the main thread", async () => {
    const text = listText(5000);
    const inThread = decodeListBytes(Buffer.from(text), undefined);
    const offThread = await decodeOffThread(Buffer.from(text), undefined);
    if (!inThread.ok || !offThread.ok) throw new Error("decoding failed");
    const a = inThread.value.list;
    const b = offThread.value.list;
    expect(b.size).toBe(5000);
    expect(b.byteSize()).toBe(a.byteSize());
    expect(b.tags()).toEqual(["csam", "spam"]);
    for (let i = 0; i < 5000; i += 7) {
      expect(b.match(ljs4Hash(room(i)), CSAM)).toEqual(a.match(ljs4Hash(room(i)), CSAM));
    }
    expect(b.has(ljs4Hash(room(5000)))).toBe(false);
  });

  it("moves the fetched bytes to the worker instead of copying them", async () => {
    const data = Buffer.from(listText(2000)); // large: a Buffer of its own
    const pooled = Buffer.from(listText(1)); // small: a window on Node's shared pool
    const neighbour = Buffer.from("neighbour in the pool");
    expect((await decodeOffThread(data, undefined)).ok).toBe(true);
    expect(data.byteLength).toBe(0); // transferred
    expect((await decodeOffThread(pooled, undefined)).ok).toBe(true);
    expect(neighbour.toString()).toBe("neighbour in the pool"); // the pool was copied from, not moved
  });

  it("decrypts in the worker and reports failures without list content", async () => {
    const key = Buffer.alloc(32, 7);
    const secret = room(424242);
    const plain = Buffer.from(listText(3, 424242));
    const loaded = await decodeOffThread(encryptList(plain, key), key);
    expect(loaded.ok && loaded.value.list.has(ljs4Hash(secret))).toBe(true);
    const failures = [
      await decodeOffThread(encryptList(plain, key), Buffer.alloc(32, 8)),
      await decodeOffThread(encryptList(plain, key), undefined),
      await decodeOffThread(Buffer.from(`[{"report_id": "${secret}"`), undefined),
      await decodeOffThread(Buffer.from("[]"), undefined),
    ];
    expect(failures.map((f) => (f.ok ? "loaded" : f.error))).toEqual([
      "the list failed authentication: wrong key or a damaged file",
      "the list is encrypted but no encryption_key_file is configured",
      "the list is not valid JSON",
      "the list holds no valid report (0 skipped)",
    ]);
  });

  it("keeps the event loop free while a large list builds", async () => {
    const data = Buffer.from(listText(200_000));
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 2);
    const started = performance.now();
    const loaded = await decodeOffThread(data, undefined);
    const took = performance.now() - started;
    clearInterval(ticker);
    expect(loaded.ok && loaded.value.list.size).toBe(200_000);
    // On the main thread the whole build (hundreds of ms) would be one gap.
    expect(longestGap).toBeLessThan(Math.max(100, took / 3));
  });
});

describe("mergeOffThread", () => {
  it("merges lists in a worker: first report id, union of tags; the inputs stay usable", async () => {
    const one = new SourceListBuilder();
    const two = new SourceListBuilder();
    for (let i = 0; i < 3000; i++)
      one.add({ hash: ljs4Hash(room(i)), reportId: `a-${i}`, tags: ["spam"] });
    for (let i = 2000; i < 4000; i++)
      two.add({ hash: ljs4Hash(room(i)), reportId: `b-${i}`, tags: ["csam"] });
    const [a, b] = [one.build(), two.build()];
    const merged = await mergeOffThread([a, b]);
    if (!merged.ok) throw new Error(merged.error);
    const both = new Set(["spam", "csam"]);
    expect(merged.value.size).toBe(4000);
    expect(merged.value.match(ljs4Hash(room(1)), both)).toEqual({
      reportId: "a-1",
      tags: ["spam"],
    });
    expect(merged.value.match(ljs4Hash(room(2500)), both)).toEqual({
      reportId: "a-2500",
      tags: ["csam", "spam"],
    });
    expect(merged.value.match(ljs4Hash(room(3500)), CSAM)?.reportId).toBe("b-3500");
    expect(a.match(ljs4Hash(room(1)), both)?.reportId).toBe("a-1");
    expect(b.has(ljs4Hash(room(3999)))).toBe(true);
  });
});
