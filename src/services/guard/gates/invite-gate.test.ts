import { beforeEach, describe, expect, it } from "vitest";
import { keyedUserPseudonym } from "../../../core/hash.js";
import type { RoomId, UserId } from "../../../core/ids.js";
import { TermMatcher } from "../../../core/text/index.js";
import { decodeFederatedInvite } from "../../../protocol/antispam.js";
import { FakeFacts, FakeLookupClient } from "../../../../test/doubles/guard-fakes.js";
import { FrozenAccounts } from "./frozen-accounts.js";
import { InviteGate, type InviteAttempt } from "./invite-gate.js";
import { ServerPolicy, type ServerPolicySettings } from "./invite-policy.js";
import type { FailMode } from "./join-gate.js";
import { CleanVerdictCache } from "./verdict-cache.js";

const SECRET = "synthetic-pseudonym-secret-0123456789abcdef";
const pseudo = (user: string) => keyedUserPseudonym(SECRET, user);
const local = "@carol:example.org" as UserId;
const remote = "@spammer:remote.example" as UserId;
const victim = "@dave:example.org" as UserId;
const listedRoom = "!synthetic-0001:example.org" as RoomId;
/** Two more listed rooms: a freeze needs three distinct hits (a quick repeat counts once). */
const listedRoom2 = "!synthetic-0002:example.org" as RoomId;
const listedRoom3 = "!synthetic-0003:example.org" as RoomId;
const room = "!clean-0001:remote.example" as RoomId;

const POLICY: ServerPolicySettings = {
  localInvitesOnly: false,
  allowServers: [],
  denyServers: [],
  allowIpLiterals: false,
};

describe("InviteGate", () => {
  let lookup: FakeLookupClient;
  let facts: FakeFacts;
  const gate = (
    policy: Partial<ServerPolicySettings> = {},
    failMode: { local: FailMode; remote: FailMode } = { local: "open", remote: "open" },
  ) =>
    new InviteGate({
      lookup,
      frozen: new FrozenAccounts(60_000),
      cache: new CleanVerdictCache(30_000, 100),
      servers: new ServerPolicy({ ...POLICY, ...policy }),
      terms: new TermMatcher([{ id: "fruit", harms: ["m.spam"], terms: ["pineapple"] }]),
      roomTexts: facts,
      pseudonym: (u) => pseudo(u),
      failMode,
      now: () => 1_000,
    });
  const invite = (
    inviter: UserId,
    r: RoomId,
    extra: Partial<InviteAttempt> = {},
  ): InviteAttempt => ({
    inviter,
    invitee: victim,
    room: r,
    remote: inviter === remote,
    ...extra,
  });

  beforeEach(() => {
    lookup = new FakeLookupClient()
      .list(listedRoom, "r1")
      .list(listedRoom2, "r2")
      .list(listedRoom3, "r3");
    facts = new FakeFacts();
  });

  it("allows a clean invite, looking the room up with the inviter's pseudonym (never the invitee's)", async () => {
    expect((await gate().decide(invite(local, room))).verdict).toEqual({
      allow: true,
      reason: "clean",
    });
    expect(lookup.lookups).toEqual([{ room, user: pseudo(local) }]);
  });

  it("refuses an invite into a listed room and reports it for the summary", async () => {
    const d = await gate().decide(invite(local, listedRoom));
    expect(d.verdict).toEqual({ allow: false, reason: "listed", message: "invite_refused" });
    expect(d.events).toEqual([
      { kind: "invite_refused", inviter: local, room: listedRoom, reason: "listed" },
    ]);
  });

  it("freezes a local inviter after three listed invites, then refuses their invites without asking", async () => {
    const g = gate();
    await g.decide(invite(local, listedRoom));
    await g.decide(invite(local, listedRoom2));
    const third = await g.decide(invite(local, listedRoom3));
    expect(third.events).toContainEqual({
      kind: "account_frozen",
      user: local,
      local: true,
      via: "hit",
    });
    const asked = lookup.lookups.length;
    expect((await g.decide(invite(local, room))).verdict).toMatchObject({
      allow: false,
      reason: "frozen",
    });
    expect(lookup.lookups).toHaveLength(asked);
  });

  it("refuses a local invite to a room whose name matches a term list, even disguised", async () => {
    facts.texts.set(room, { name: "P 1 N E A P P L E party" });
    const d = await gate().decide(invite(local, room));
    expect(d.verdict).toEqual({ allow: false, reason: "room_terms", message: "invite_refused" });
    expect(d.events).toEqual([
      { kind: "invite_refused", inviter: local, room, reason: "room_terms", detail: "fruit" },
    ]);
    expect(lookup.lookups).toEqual([]);
  });

  it("matches a federated invite's stripped state (topic here) and allows an unrelated one", async () => {
    const event = (topic: string) => ({
      event: {
        type: "m.room.member",
        sender: remote,
        state_key: victim,
        room_id: room,
        content: { membership: "invite" },
        unsigned: {
          invite_room_state: [
            { type: "m.room.name", state_key: "", content: { name: "Harmless" } },
            { type: "m.room.topic", state_key: "", content: { topic } },
          ],
        },
      },
    });
    const bad = decodeFederatedInvite(event("all about pineapple"));
    const fine = decodeFederatedInvite(event("all about apples"));
    if (!bad.ok || !fine.ok) throw new Error("did not decode");
    expect((await gate().decide(bad.value)).verdict).toMatchObject({ reason: "room_terms" });
    expect((await gate().decide(fine.value)).verdict).toEqual({ allow: true, reason: "clean" });
  });

  it("applies the server policy to remote inviters only", async () => {
    expect(
      (await gate({ localInvitesOnly: true }).decide(invite(remote, room))).verdict,
    ).toMatchObject({
      reason: "server_policy",
    });
    expect((await gate({ localInvitesOnly: true }).decide(invite(local, room))).verdict).toEqual({
      allow: true,
      reason: "clean",
    });
    const denied = await gate({ denyServers: ["*.example"] }).decide(invite(remote, room));
    expect(denied.events).toEqual([
      {
        kind: "invite_refused",
        inviter: remote,
        room,
        reason: "server_policy",
        detail: "deny_servers",
      },
    ]);
  });

  it("uses the fail mode of its callback when the lookup service does not answer", async () => {
    lookup.down = "timeout";
    const g = gate({}, { local: "closed", remote: "open" });
    expect((await g.decide(invite(local, room))).verdict).toEqual({
      allow: false,
      reason: "fail_closed",
      message: "invite_refused",
    });
    expect((await g.decide(invite(remote, room))).verdict).toEqual({
      allow: true,
      reason: "fail_open",
    });
  });

  it("counts a remote inviter's freeze without treating them as local", async () => {
    const g = gate();
    await g.decide(invite(remote, listedRoom));
    await g.decide(invite(remote, listedRoom2));
    const third = await g.decide(invite(remote, listedRoom3));
    expect(third.events).toContainEqual({
      kind: "account_frozen",
      user: remote,
      local: false,
      via: "hit",
    });
  });
});
