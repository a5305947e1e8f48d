import { describe, expect, it } from "vitest";
import { ljs4Hash } from "./hash.js";
import type { Ljs4Hash } from "./ids.js";
import { decodeRdlist } from "./rdlist.js";
import { SourceList, SourceListBuilder, transferListOf } from "./source-list.js";

const room = (n: number) => `!synthetic-${String(n).padStart(4, "0")}:example.org`;
const CSAM = new Set(["csam"]);

describe("SourceList", () => {
  it("finds listed rooms by hash, filtered by tags", () => {
    const builder = new SourceListBuilder();
    builder.add({ hash: ljs4Hash(room(1)), reportId: "report-1", tags: ["csam", "spam"] });
    builder.add({ hash: ljs4Hash(room(2)), reportId: "report-2", tags: ["gore"] });
    const list = builder.build();
    expect(list.size).toBe(2);
    expect(list.match(ljs4Hash(room(1)), CSAM)).toEqual({ reportId: "report-1", tags: ["csam"] });
    expect(list.match(ljs4Hash(room(2)), CSAM)).toBeUndefined();
    expect(list.match(ljs4Hash(room(2)), new Set(["gore", "csam"]))).toEqual({
      reportId: "report-2",
      tags: ["gore"],
    });
    expect(list.match(ljs4Hash(room(3)), CSAM)).toBeUndefined();
    expect(list.has(ljs4Hash(room(2)))).toBe(true);
    expect(list.tags()).toEqual(["csam", "gore", "spam"]);
  });

  it("merges a room listed twice: first report id, union of tags", () => {
    const builder = new SourceListBuilder();
    builder.add({ hash: ljs4Hash(room(1)), reportId: "first", tags: ["gore"] });
    builder.add({ hash: ljs4Hash(room(1)), reportId: "second", tags: ["csam"] });
    const list = builder.build();
    expect(list.size).toBe(1);
    expect(list.match(ljs4Hash(room(1)), CSAM)).toEqual({ reportId: "first", tags: ["csam"] });
  });

  it("holds many entries compactly and finds every one", () => {
    const builder = new SourceListBuilder();
    const n = 20_000;
    for (let i = 0; i < n; i++)
      builder.add({ hash: ljs4Hash(room(i)), reportId: `r-${i}`, tags: ["csam"] });
    const list = builder.build();
    expect(list.size).toBe(n);
    for (let i = 0; i < n; i += 997)
      expect(list.match(ljs4Hash(room(i)), CSAM)?.reportId).toBe(`r-${i}`);
    expect(list.match(ljs4Hash(room(n + 1)), CSAM)).toBeUndefined();
    expect(list.byteSize() / n).toBeLessThan(100);
  });

  it("answers nothing from an empty list", () => {
    expect(SourceList.empty().match("0".repeat(64) as Ljs4Hash, CSAM)).toBeUndefined();
  });
});

/** A 32-byte key whose first eight bytes are `head`, `next` (little-endian) and last byte `tail`. */
function key(head: number, next: number, tail: number): Buffer {
  const k = Buffer.alloc(32);
  k.writeUInt32LE(head, 0);
  k.writeUInt32LE(next, 4);
  k[31] = tail;
  return k;
}
const hex = (k: Buffer) => k.toString("hex") as Ljs4Hash;

describe("SourceListBuilder's duplicate table", () => {
  it("finds duplicates across many table growths, in any order", () => {
    const builder = new SourceListBuilder();
    const n = 10_000;
    for (let i = 0; i < n; i++)
      builder.add({ hash: ljs4Hash(room(i)), reportId: `r-${i}`, tags: ["spam"] });
    for (let i = n - 1; i >= 0; i -= 3)
      builder.add({ hash: ljs4Hash(room(i)), reportId: `again-${i}`, tags: ["csam"] });
    expect(builder.size).toBe(n);
    const list = builder.build();
    expect(list.size).toBe(n);
    for (let i = 0; i < n; i++) {
      const again = (n - 1 - i) % 3 === 0;
      expect(list.match(ljs4Hash(room(i)), CSAM)?.reportId).toBe(again ? `r-${i}` : undefined);
      expect(list.has(ljs4Hash(room(i)))).toBe(true);
    }
  });

  it("tells apart keys that share their first four or eight bytes", () => {
    const builder = new SourceListBuilder();
    // Same head: same home slot, one probe run. Same first eight bytes: only the full
    // comparison tells them apart.
    const keys = [key(7, 1, 0), key(7, 2, 0), key(7, 1, 1), key(7 + 2048, 1, 0), key(7, 1, 2)];
    keys.forEach((k, i) => builder.add({ hash: k, reportId: `r${i}`, tags: ["csam"] }));
    keys.forEach((k) => builder.add({ hash: Buffer.from(k), reportId: "dup", tags: ["spam"] }));
    expect(builder.size).toBe(keys.length);
    const list = builder.build();
    keys.forEach((k, i) => {
      expect(list.match(hex(k), new Set(["csam", "spam"]))).toEqual({
        reportId: `r${i}`,
        tags: ["csam", "spam"],
      });
    });
    expect(list.has(hex(key(7, 1, 3)))).toBe(false);
    expect(list.has(hex(key(7, 3, 0)))).toBe(false);
  });

  it("builds the same list whether the table is reused or rebuilt", () => {
    for (const n of [0, 1, 700, 1025, 5000]) {
      const builder = new SourceListBuilder();
      for (let i = 0; i < n; i++)
        builder.add({ hash: ljs4Hash(room(i)), reportId: `r-${i}`, tags: ["csam"] });
      const list = builder.build();
      expect(list.size).toBe(n);
      for (let i = 0; i < n; i += 97)
        expect(list.match(ljs4Hash(room(i)), CSAM)?.reportId).toBe(`r-${i}`);
      expect(list.has(ljs4Hash(room(n)))).toBe(false);
    }
  });

  it("rejects a hash that is not 32 bytes", () => {
    const builder = new SourceListBuilder();
    expect(() => builder.add({ hash: Buffer.alloc(31), reportId: "r", tags: ["csam"] })).toThrow();
  });
});

describe("SourceList parts (moving a list between threads)", () => {
  it("survives a transfer: every array owns its buffer, nothing else moves", () => {
    const builder = new SourceListBuilder();
    for (let i = 0; i < 3000; i++)
      builder.add({
        hash: ljs4Hash(room(i)),
        reportId: `r-${i}`,
        tags: i % 2 ? ["csam"] : ["gore"],
      });
    const parts = builder.build().toParts();
    const buffers = transferListOf(parts);
    expect(new Set(buffers).size).toBe(5);
    const pool = Buffer.from("a small pooled buffer");
    const moved = structuredClone(parts, { transfer: buffers });
    expect(parts.keys.byteLength).toBe(0); // detached: it was moved, not copied
    expect(pool.toString()).toBe("a small pooled buffer");
    const list = SourceList.fromParts(moved);
    expect(list.size).toBe(3000);
    expect(list.match(ljs4Hash(room(1)), CSAM)?.reportId).toBe("r-1");
    expect(list.match(ljs4Hash(room(2)), CSAM)).toBeUndefined();
    expect(list.tags()).toEqual(["csam", "gore"]);
  });

  it("copies a small list out of Node's shared buffer pool before a transfer", () => {
    const builder = new SourceListBuilder();
    builder.add({ hash: ljs4Hash(room(1)), reportId: "r-1", tags: ["csam"] });
    const parts = builder.build().toParts();
    for (const a of [parts.keys, parts.tagSetOf, parts.reportOffsets, parts.reports, parts.slots]) {
      expect(a.byteOffset).toBe(0);
      expect(a.byteLength).toBe(a.buffer.byteLength); // not a window on Node's 8 KiB pool
    }
  });

  it("refuses parts that do not fit together", () => {
    const parts = SourceList.empty().toParts();
    expect(() => SourceList.fromParts({ ...parts, size: 1 })).toThrow("do not fit");
    expect(() => SourceList.fromParts({ ...parts, slots: new Uint32Array(3) })).toThrow();
  });
});

describe("decodeRdlist", () => {
  it("hashes plain room ids, accepts precomputed hashes and skips bad entries", () => {
    const doc = [
      { report_id: "r1", room: { room_id: room(1) }, report_info: { tags: ["csam"] } },
      {
        report_id: "r2",
        room: { room_id_hash: ljs4Hash(room(2)) },
        report_info: { tags: ["csam"] },
      },
      { report_id: "r3", room: { room_id: "not a room" }, report_info: { tags: ["csam"] } },
      { report_id: "", room: { room_id: room(4) }, report_info: { tags: ["csam"] } },
      { report_id: "r5", room: { room_id: room(5) }, report_info: { tags: [] } },
      { report_id: "r6", room: { room_id_hash: "ABC" }, report_info: { tags: ["csam"] } },
      "garbage",
      null,
    ];
    const decoded = decodeRdlist(JSON.stringify(doc));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.skipped).toBe(6);
    const list = decoded.value.builder.build();
    expect(list.size).toBe(2);
    expect(list.match(ljs4Hash(room(1)), CSAM)?.reportId).toBe("r1");
    expect(list.match(ljs4Hash(room(2)), CSAM)?.reportId).toBe("r2");
  });

  it("rejects documents that are not a list of reports without quoting them", () => {
    const secret = room(9);
    const bad = decodeRdlist(`[{"report_id": "${secret}"`);
    expect(bad).toEqual({ ok: false, error: "the list is not valid JSON" });
    expect(decodeRdlist("{}").ok).toBe(false);
    expect(decodeRdlist("[]").ok).toBe(false);
    expect(decodeRdlist('[{"report_id": 1}]').ok).toBe(false);
  });
});

describe("SourceList.version", () => {
  const room = (n: number) => `!synthetic-${String(n).padStart(4, "0")}:example.org`;
  const build = (entries: [number, string, string[]][]) => {
    const builder = new SourceListBuilder();
    for (const [n, reportId, tags] of entries)
      builder.add({ hash: ljs4Hash(room(n)), reportId, tags });
    return builder.build();
  };
  const csam = new Set(["csam"]);

  it("is the same for the same view and changes with what the tags let a client see", () => {
    const base = build([
      [1, "report-1", ["csam"]],
      [2, "report-2", ["gore"]],
    ]);
    expect(
      build([
        [1, "report-1", ["csam"]],
        [2, "report-2", ["gore"]],
      ]).version(csam),
    ).toBe(base.version(csam));
    // A room the client's tags do not show changes nothing for it, but does for another.
    const more = build([
      [1, "report-1", ["csam"]],
      [2, "report-2", ["gore"]],
      [3, "report-3", ["gore"]],
    ]);
    expect(more.version(csam)).toBe(base.version(csam));
    expect(more.version(new Set(["gore"]))).not.toBe(base.version(new Set(["gore"])));
    // A new report id or a removed room changes the view.
    expect(
      build([
        [1, "report-9", ["csam"]],
        [2, "report-2", ["gore"]],
      ]).version(csam),
    ).not.toBe(base.version(csam));
    expect(build([[2, "report-2", ["gore"]]]).version(csam)).not.toBe(base.version(csam));
    expect(base.version(csam)).toMatch(/^[0-9a-f]{64}$/);
  });
});
