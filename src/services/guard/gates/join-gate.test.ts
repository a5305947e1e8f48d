import { beforeEach, describe, expect, it } from "vitest";
import { keyedUserPseudonym } from "../../../core/hash.js";
import type { RoomId, UserId } from "../../../core/ids.js";
import { FakeFacts, FakeLookupClient } from "../../../../test/doubles/guard-fakes.js";
import { FrozenAccounts } from "./frozen-accounts.js";
import { JoinGate, type FailMode } from "./join-gate.js";
import { CleanVerdictCache } from "./verdict-cache.js";

const SECRET = "synthetic-pseudonym-secret-0123456789abcdef";
const alice = "@alice:example.org" as UserId;
const clean = "!clean-0001:example.org" as RoomId;
const listed = (n: number) => `!synthetic-000${n}:example.org` as RoomId;
const pseudo = (user: string) => keyedUserPseudonym(SECRET, user);

describe("JoinGate", () => {
  let lookup: FakeLookupClient;
  let facts: FakeFacts;
  let now: number;
  let failModes: FailMode[];
  const gate = (failMode: FailMode = "open", recheckMs = 60_000) =>
    new JoinGate({
      lookup,
      frozen: new FrozenAccounts(recheckMs),
      cache: new CleanVerdictCache(30_000, 100),
      membership: facts,
      pseudonym: (u) => pseudo(u),
      failMode,
      now: () => now,
    });
  /** Decides a join; the fail modes the decision applied are noted in `failModes`. */
  const join = async (g: JoinGate, room: RoomId, user = alice) => {
    const decision = await g.decide({ user, room, invited: false });
    for (const e of decision.events) if (e.kind === "fail_mode_applied") failModes.push(e.mode);
    return decision;
  };

  beforeEach(() => {
    lookup = new FakeLookupClient()
      .list(listed(1), "r1")
      .list(listed(2), "r2")
      .list(listed(3), "r3");
    facts = new FakeFacts();
    now = 1_000_000;
    failModes = [];
  });

  it("allows a clean room and answers the next attempt from the clean verdict cache", async () => {
    const g = gate();
    expect((await join(g, clean)).verdict).toEqual({ allow: true, reason: "clean" });
    expect((await join(g, clean)).verdict).toEqual({ allow: true, reason: "cached_clean" });
    expect(lookup.checks).toHaveLength(1);
    now += 30_001; // past the TTL: asked again
    await join(g, clean);
    expect(lookup.checks).toHaveLength(2);
    expect(lookup.lookups).toEqual([]); // a clean room is never a counted lookup
  });

  it("sends the keyed pseudonym, never the user id", async () => {
    await join(gate(), listed(1));
    expect(lookup.lookups[0]?.user).toBe(pseudo(alice));
    expect(lookup.lookups[0]?.user).not.toContain("alice");
  });

  it("refuses a listed room every time, and every attempt reaches the lookup service", async () => {
    const g = gate();
    for (let i = 1; i <= 2; i++) {
      const d = await join(g, listed(1));
      expect(d.verdict).toEqual({ allow: false, reason: "listed", message: "join_refused" });
      expect(d.events).toEqual([
        {
          kind: "join_refused",
          user: alice,
          room: listed(1),
          listed: { reportId: "r1", tags: ["csam"] },
          invited: false,
        },
      ]);
    }
    expect(lookup.lookups).toHaveLength(2);
  });

  it("reports the freeze once, then refuses every join without asking — cache and outage notwithstanding", async () => {
    const g = gate("open");
    await join(g, clean); // clean verdict cached before the freeze
    await join(g, listed(1));
    await join(g, listed(2));
    const third = await join(g, listed(3));
    expect(third.events.map((e) => e.kind)).toEqual(["join_refused", "account_frozen"]);
    expect(third.events[1]).toEqual({
      kind: "account_frozen",
      user: alice,
      local: true,
      via: "hit",
    });
    const asked = lookup.lookups.length;
    lookup.down = "unreachable";
    const after = await join(g, clean);
    expect(after.verdict).toEqual({
      allow: false,
      reason: "frozen",
      message: "account_restricted",
    });
    expect(after.events).toEqual([]);
    expect(lookup.lookups).toHaveLength(asked);
  });

  it("learns a freeze from the lookup service's 403 and alerts about it once", async () => {
    lookup.frozen.add(pseudo(alice));
    const g = gate("open", 1_000);
    // The account is asked about with its next lookup: an attempt on a listed room.
    const first = await join(g, listed(1));
    expect(first.verdict).toMatchObject({ allow: false, reason: "frozen" });
    expect(first.events).toEqual([
      { kind: "account_frozen", user: alice, local: true, via: "lookup" },
    ]);
    now += 2_000; // recheck due: asked again, still frozen, no second alert
    expect((await join(g, clean)).events).toEqual([]);
  });

  it("re-checks a known freeze and lets the account through once the provider lifted it", async () => {
    const g = gate("open", 60_000);
    for (const n of [1, 2, 3]) await join(g, listed(n));
    lookup.frozen.clear();
    expect((await join(g, clean)).verdict).toMatchObject({ allow: false, reason: "frozen" });
    now += 60_000;
    expect((await join(g, clean)).verdict).toEqual({ allow: true, reason: "clean" });
  });

  it("keeps refusing a known frozen account when the re-check cannot be made", async () => {
    const g = gate("open", 60_000);
    for (const n of [1, 2, 3]) await join(g, listed(n));
    now += 60_000;
    lookup.down = "timeout";
    expect((await join(g, clean)).verdict).toMatchObject({ allow: false, reason: "frozen" });
    expect(failModes).toEqual([]);
  });

  it("does not count re-joins and profile changes: an already joined room is checked, not looked up", async () => {
    facts.join(alice, listed(1)).join(alice, clean);
    const g = gate();
    for (let i = 0; i < 5; i++) {
      const d = await join(g, listed(1));
      expect(d.verdict).toEqual({ allow: false, reason: "listed_member", message: "join_refused" });
      expect(d.events).toEqual([
        {
          kind: "found_inside",
          user: alice,
          room: listed(1),
          listed: { reportId: "r1", tags: ["csam"] },
        },
      ]);
    }
    expect((await join(g, clean)).verdict).toEqual({ allow: true, reason: "clean" });
    expect(lookup.lookups).toEqual([]);
    expect(lookup.hits.size).toBe(0);
    expect(lookup.checks).toHaveLength(6);
  });

  it("asks the batch check first: a clean room never calls the admin API nor counts", async () => {
    const g = gate();
    const rooms = [clean, "!clean-0002:example.org" as RoomId];
    for (const room of rooms) {
      expect((await join(g, room)).verdict).toEqual({ allow: true, reason: "clean" });
    }
    expect((await join(g, clean)).verdict).toEqual({ allow: true, reason: "cached_clean" });
    expect(lookup.checks).toEqual([[clean], [rooms[1]]]);
    expect(facts.asked).toEqual([]);
    expect(lookup.lookups).toEqual([]);
  });

  it("never counts a listed room the user is inside: membership is asked only for it", async () => {
    facts.join(alice, listed(2));
    const g = gate("closed");
    for (let i = 0; i < 4; i++) {
      expect((await join(g, listed(2))).verdict).toMatchObject({ reason: "listed_member" });
    }
    expect(facts.asked).toEqual(
      Array.from({ length: 4 }, () => ({ user: alice, room: listed(2) })),
    );
    expect(lookup.lookups).toEqual([]);
    expect(lookup.hits.size).toBe(0);
  });

  it("counts a listed room the user is outside of, exactly as a lookup always did", async () => {
    facts.join(alice, listed(2));
    const g = gate();
    const d = await join(g, listed(1));
    expect(d.verdict).toEqual({ allow: false, reason: "listed", message: "join_refused" });
    expect(d.events.map((e) => e.kind)).toEqual(["join_refused"]);
    expect(facts.asked).toEqual([{ user: alice, room: listed(1) }]);
    expect(lookup.checks).toEqual([[listed(1)]]);
    expect(lookup.lookups).toEqual([{ room: listed(1), user: pseudo(alice) }]);
    expect(lookup.hits.get(pseudo(alice))?.filter((h) => h.counted)).toHaveLength(1);
  });

  it("without the batch check asks membership first, and does not ask for the check again for a while", async () => {
    lookup.checkSupported = false;
    facts.join(alice, listed(1));
    const g = gate();
    expect((await join(g, clean)).verdict).toEqual({ allow: true, reason: "clean" });
    expect((await join(g, listed(1))).verdict).toEqual({ allow: true, reason: "already_joined" });
    expect((await join(g, listed(2))).verdict).toMatchObject({ reason: "listed" });
    expect(lookup.checks).toHaveLength(1);
    expect(facts.asked.map((a) => a.room)).toEqual([clean, listed(1), listed(2)]);
    expect(lookup.lookups.map((l) => l.room)).toEqual([clean, listed(2)]);
    now += 5 * 60_000; // the scope may have been granted meanwhile
    lookup.checkSupported = true;
    expect((await join(g, listed(1))).verdict).toMatchObject({ reason: "listed_member" });
    expect(lookup.checks).toHaveLength(2);
  });

  it("with the batch check rate limited, asks membership and lets the lookup answer", async () => {
    lookup.checkRateLimitedMs = 2_000;
    facts.join(alice, listed(1));
    const g = gate();
    expect((await join(g, listed(1))).verdict).toEqual({ allow: true, reason: "already_joined" });
    expect((await join(g, listed(2))).verdict).toMatchObject({ reason: "listed" });
    expect(lookup.lookups.map((l) => l.room)).toEqual([listed(2)]);
    expect(lookup.checks).toHaveLength(2); // a 429 is not remembered like a refused scope
  });

  it("allows an already joined room when the batch check is not offered or fails", async () => {
    facts.join(alice, listed(1));
    lookup.checkSupported = false;
    expect((await join(gate("closed"), listed(1))).verdict).toEqual({
      allow: true,
      reason: "already_joined",
    });
    lookup.down = "timeout";
    expect((await join(gate("closed"), listed(1))).verdict).toEqual({
      allow: true,
      reason: "already_joined",
    });
    expect(lookup.lookups).toEqual([]);
  });

  it("treats membership it cannot know as a new attempt", async () => {
    facts.known = false;
    await join(gate(), listed(1));
    expect(lookup.lookups).toHaveLength(1);
  });

  it("applies the fail mode when the lookup service does not answer", async () => {
    lookup.down = "timeout";
    expect((await join(gate("open"), listed(1))).verdict).toEqual({
      allow: true,
      reason: "fail_open",
    });
    expect((await join(gate("closed"), clean)).verdict).toEqual({
      allow: false,
      reason: "fail_closed",
      message: "unavailable",
    });
    expect(failModes).toEqual(["open", "closed"]);
    // One unanswered request per decision: the lookup would only wait out a second deadline.
    expect(lookup.checks).toHaveLength(2);
    expect(lookup.lookups).toEqual([]);
  });

  it("refuses when rate limited, passing the retry delay on", async () => {
    // The client's quota: the batch check and the lookup both answer 429.
    lookup.checkRateLimitedMs = 4_000;
    lookup.rateLimitedMs = 4_000;
    expect((await join(gate(), clean)).verdict).toEqual({
      allow: false,
      reason: "rate_limited",
      message: "rate_limited",
      retryAfterMs: 4_000,
    });
  });

  it("never caches a listed verdict, and drops a clean one when the room turns up listed", async () => {
    const g = gate();
    const room = "!later-listed:example.org" as RoomId;
    await join(g, room);
    lookup.list(room, "r9");
    now += 30_001;
    expect((await join(g, room)).verdict).toMatchObject({ allow: false, reason: "listed" });
    expect((await join(g, room)).verdict).toMatchObject({ allow: false, reason: "listed" });
  });
});
