import { describe, expect, it } from "vitest";
import { ljs4Hash } from "./hash.js";
import type { Ljs4Hash } from "./ids.js";
import { decodeRdlist } from "./rdlist.js";
import { SourceList, SourceListBuilder } from "./source-list.js";

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
