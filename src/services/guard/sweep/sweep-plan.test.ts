import { describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../../../core/ids.js";
import { planSweep, type RoomPeople } from "./sweep-plan.js";

const room = (n: number) => `!synthetic-${String(n).padStart(4, "0")}:example.org` as RoomId;
const user = (name: string) => `@${name}:example.org` as UserId;
const people = (invited: string[], joined: string[]): RoomPeople => ({
  invited: new Set(invited.map(user)),
  joined: new Set(joined.map(user)),
});
const report = { reportId: "report-1", tags: ["csam"] };

describe("planSweep", () => {
  const rooms = new Map([
    [room(1), people(["ann"], ["bob", "cy"])],
    [room(2), people(["dee"], ["eve"])],
    [room(3), people(["fay"], [])],
  ]);

  it("rejects invites to listed rooms and alerts about members, nothing destructive by default", () => {
    const steps = planSweep(rooms, new Map([[room(1), report]]), new Set(), {
      rejectPendingInvites: true,
      membersOfListedRooms: ["alert"],
    });
    expect(steps.map((s) => `${s.action} ${"user" in s ? s.user : ""}`)).toEqual([
      "reject_invite @ann:example.org",
      "alert ",
    ]);
    expect(steps[1]).toMatchObject({ action: "alert", members: 2, listed: report });
  });

  it("rejects invites to rooms matching the term lists, and none when turned off", () => {
    const policy = { rejectPendingInvites: true, membersOfListedRooms: [] } as const;
    const steps = planSweep(rooms, new Map(), new Set([room(3)]), policy);
    expect(steps).toEqual([
      {
        action: "reject_invite",
        room: room(3),
        user: user("fay"),
        because: "terms",
        listed: undefined,
      },
    ]);
    const off = planSweep(rooms, new Map([[room(1), report]]), new Set([room(3)]), {
      ...policy,
      rejectPendingInvites: false,
    });
    expect(off.map((s) => s.action)).toEqual(["alert"]);
  });

  it("orders opt-in actions: alert, media, members out, block, purge", () => {
    const steps = planSweep(rooms, new Map([[room(2), report]]), new Set(), {
      rejectPendingInvites: false,
      membersOfListedRooms: ["purge", "block", "evict", "quarantine_media"],
    });
    expect(steps.map((s) => s.action)).toEqual([
      "alert",
      "quarantine_media",
      "evict",
      "block",
      "purge",
    ]);
  });

  it("acts on no room that is not listed", () => {
    const steps = planSweep(rooms, new Map(), new Set(), {
      rejectPendingInvites: true,
      membersOfListedRooms: ["evict", "block", "purge"],
    });
    expect(steps).toEqual([]);
  });
});
