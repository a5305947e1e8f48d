import { describe, expect, it } from "vitest";
import { parseRoomId } from "../core/ids.js";
import { decodeFederatedInvite, decodeJoin, decodeLocalInvite, strippedTexts } from "./antispam.js";

const V12 = "!Aa0_-bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"; // 43 URL-safe base64 characters

describe("callback bodies", () => {
  it("decodes user_may_join_room, with room version 12 ids (no server part) and older ones", () => {
    expect(decodeJoin({ user: "@alice:example.org", room: V12, is_invited: true })).toEqual({
      ok: true,
      value: { user: "@alice:example.org", room: V12, invited: true },
    });
    expect(decodeJoin({ user: "@alice:example.org", room: "!old:example.org" })).toMatchObject({
      ok: true,
      value: { invited: false },
    });
  });

  it("refuses what is not a user or room id", () => {
    for (const body of [
      {},
      { user: "alice", room: V12 },
      { user: "@a:example.org", room: "!short" },
      { user: 1, room: 2 },
    ]) {
      expect(decodeJoin(body).ok).toBe(false);
    }
    expect(parseRoomId(`${V12}x`).ok).toBe(false);
    expect(
      decodeLocalInvite({ inviter: "@a:example.org", invitee: "nobody", room_id: V12 }).ok,
    ).toBe(false);
  });

  it("decodes user_may_invite as a local invite", () => {
    expect(
      decodeLocalInvite({ inviter: "@a:example.org", invitee: "@b:example.org", room_id: V12 }),
    ).toEqual({
      ok: true,
      value: { inviter: "@a:example.org", invitee: "@b:example.org", room: V12, remote: false },
    });
  });

  it("takes a federated invite's sender, target and stripped name and topic", () => {
    const decoded = decodeFederatedInvite({
      event: {
        type: "m.room.member",
        sender: "@x:remote.example",
        state_key: "@b:example.org",
        room_id: V12,
        event_id: "$e",
        content: { membership: "invite" },
        unsigned: {
          invite_room_state: [
            { type: "m.room.name", state_key: "", content: { name: "A name" } },
            { type: "m.room.join_rules", state_key: "", content: { join_rule: "invite" } },
            null,
            {
              type: "m.room.topic",
              state_key: "",
              content: { "m.topic": [{ body: "block topic" }] },
            },
          ],
        },
      },
    });
    expect(decoded).toEqual({
      ok: true,
      value: {
        inviter: "@x:remote.example",
        invitee: "@b:example.org",
        room: V12,
        remote: true,
        texts: { name: "A name", topic: "block topic" },
      },
    });
    expect(decodeFederatedInvite({ event: "nope" }).ok).toBe(false);
  });

  it("keeps whole texts: a term after 4,096 characters is still seen", () => {
    const long = `${"x".repeat(10_000)} quokkaberry`;
    const texts = strippedTexts([
      { type: "m.room.name", content: { name: long } },
      { type: "m.room.topic", content: { "m.topic": [{ body: "a" }, 7, { body: "b" }] } },
      "not an event",
    ]);
    expect(texts).toEqual({ name: long, topic: "a b" });
  });
});

describe("federated invites from a hostile server", () => {
  it("decodes an invite whose unsigned is null or not an object (no stripped state)", () => {
    for (const unsigned of [null, "x", 7, [], undefined]) {
      const decoded = decodeFederatedInvite({
        event: {
          sender: "@a:remote.example",
          room_id: "!synthetic-0001:example.org",
          state_key: "@b:example.org",
          unsigned,
        },
      });
      expect(decoded, JSON.stringify(unsigned)).toMatchObject({ ok: true, value: { texts: {} } });
    }
  });
});
