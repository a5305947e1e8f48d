import { describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../../../core/ids.js";
import { eventAlert, humanDuration, type AlertStyle, restoredAlert } from "./alert-text.js";
import { InviteSummary } from "./invite-summary.js";

const style: AlertStyle = {
  includeRoomId: false,
  failModes: { user_may_join_room: "open", user_may_invite: "closed" },
};
const user = "@alice:example.org" as UserId;
const room = "!synthetic-0001:example.org" as RoomId;
const listed = { reportId: "report-7", tags: ["csam", "spam"] };

describe("alert texts", () => {
  it("names the user, report and tags of a refused join, but not the room", () => {
    const text = eventAlert({ kind: "join_refused", user, room, listed, invited: false }, style);
    expect(text?.plain).toBe(
      "Join refused: @alice:example.org tried to join a listed room (report report-7; tags csam, spam).",
    );
    expect(text?.html).toBe(
      "<b>Join refused</b>: <code>@alice:example.org</code> tried to join a listed room (report <code>report-7</code>; tags csam, spam).",
    );
    expect(JSON.stringify(text)).not.toContain(room);
  });

  it("includes the room id only when configured", () => {
    const text = eventAlert(
      { kind: "found_inside", user, room, listed },
      { ...style, includeRoomId: true },
    );
    expect(text?.plain).toContain(`Room ${room}.`);
  });

  it("escapes HTML in everything it quotes", () => {
    const text = eventAlert(
      {
        kind: "join_refused",
        user: "@<b>x</b>:example.org" as UserId,
        room,
        listed: { reportId: "<i>", tags: [] },
        invited: true,
      },
      style,
    );
    expect(text?.html).not.toMatch(/<i>|<b>x/);
    expect(text?.html).toContain("&lt;b&gt;x&lt;/b&gt;");
  });

  it("says what the fail modes do while degraded, and how long it lasted", () => {
    expect(eventAlert({ kind: "lookup_degraded", reason: "timeout" }, style)?.plain).toBe(
      "Protection degraded: the lookup service does not answer (timeout). Until it does: user_may_join_room allowed unchecked, user_may_invite refused.",
    );
    expect(eventAlert({ kind: "lookup_recovered", downMs: 200_000 }, style)).toBeUndefined();
    expect(restoredAlert(200_000, { allowed: 4, refused: 1 }).plain).toBe(
      "Protection restored: the lookup service answers again after 3 min 20 s. Meanwhile 4 decision(s) were allowed unchecked and 1 refused by fail mode.",
    );
    expect(humanDuration(7_500_000)).toBe("2 h 5 min");
  });

  it("tells how to unfreeze a frozen local account; a remote one goes to the summary", () => {
    expect(
      eventAlert(
        { kind: "account_frozen", user, local: true, via: "hit" },
        style,
        "The account is suspended in Synapse.",
      )?.plain,
    ).toBe(
      "Account frozen: @alice:example.org reached the limit of attempts on listed rooms; every join is now refused. The account is suspended in Synapse. To lift it: !redlight unfreeze @alice:example.org",
    );
    expect(
      eventAlert({ kind: "account_frozen", user, local: false, via: "hit" }, style),
    ).toBeUndefined();
  });
});

describe("InviteSummary", () => {
  it("aggregates a wave into one message per interval", () => {
    const summary = new InviteSummary();
    const refuse = (
      server: string,
      reason: "room_terms" | "listed" | "server_policy",
      n: number,
    ) => {
      for (let i = 0; i < n; i++) {
        summary.record({
          kind: "invite_refused",
          inviter: `@u${i}:${server}` as UserId,
          room,
          reason,
        });
      }
    };
    refuse("spam.example", "room_terms", 30);
    refuse("b.example", "listed", 5);
    refuse("203.0.113.7", "server_policy", 2);
    const text = summary.flush(60_000);
    expect(text?.plain).toBe(
      "Invites refused: 37 invites from 3 servers refused in the last minute (room name or topic 30, listed room 5, server policy 2). Most from: spam.example (30), b.example (5), 203.0.113.7 (2).",
    );
    expect(text?.html).toContain("<b>Invites refused</b>: 37 invites from 3 servers");
    expect(summary.flush(60_000)).toBeUndefined();
  });

  it("names the interval and counts frozen remote inviters", () => {
    const summary = new InviteSummary();
    summary.record({
      kind: "invite_refused",
      inviter: "@a:x.example" as UserId,
      room,
      reason: "listed",
    });
    summary.recordRemoteFreeze();
    expect(summary.flush(300_000)?.plain).toBe(
      "Invites refused: 1 invite from 1 server refused in the last 5 min (listed room 1). Most from: x.example (1). 1 inviter from other servers frozen.",
    );
  });
});
