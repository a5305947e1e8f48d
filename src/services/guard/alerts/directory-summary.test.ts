import { describe, expect, it } from "vitest";
import type { RoomId } from "../../../core/ids.js";
import { eventAlert } from "./alert-text.js";
import { DirectorySummary } from "./directory-summary.js";

const room = (n: number) => `!synthetic-${n}:example.org` as RoomId;

describe("the directory summary", () => {
  it("counts each room once a day, by term list and report, and lists rooms only when asked", () => {
    let now = 0;
    const summary = new DirectorySummary(() => now);
    const page = [
      { reason: "room_terms" as const, room: room(1), listId: "fruit" },
      { reason: "room_terms" as const, room: room(2), listId: "veg" },
      { reason: "listed" as const, room: room(3), listed: { reportId: "r9", tags: [] } },
      { reason: "not_curated" as const, room: room(4) },
      { reason: "unchecked" as const, room: room(5) },
      { reason: "malformed" as const },
    ];
    summary.record(page);
    summary.record(page);
    const text = summary.flush(60_000, true);
    expect(text?.plain).toBe(
      `Room directory: 3 rooms newly hidden in the last 1 min: 2 by name or topic (term list fruit 1, veg 1); 1 listed (report r9 1). They stay hidden; review them with the Synapse admin API. Rooms: ${room(1)}, ${room(2)}, ${room(3)}.`,
    );
    expect(summary.flush(60_000, true)).toBeUndefined();
    summary.record(page);
    expect(summary.flush(60_000, false)).toBeUndefined(); // reported today already
    now += 24 * 3_600_000;
    summary.record(page);
    expect(summary.flush(60_000, false)?.plain).not.toContain("!");
  });

  it("names the directory's fail mode in the degraded alert", () => {
    const text = eventAlert(
      { kind: "lookup_degraded", reason: "timeout" },
      {
        includeRoomId: false,
        failModes: { user_may_join_room: "open" },
        directoryFailMode: "hide",
      },
    );
    expect(text?.plain).toBe(
      "Protection degraded: the lookup service does not answer (timeout). Until it does: user_may_join_room allowed unchecked, room directory: rooms never checked hidden.",
    );
  });
});
