import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Ljs4Hash, RoomId } from "../core/ids.js";
import { SourceListBuilder } from "../core/source-list.js";
import { policyReportId, PolicyRuleset, recommendationTagsSchema } from "./ruleset.js";

const POLICY_A = "!synthetic-policy-a:example.org" as RoomId;
const POLICY_B = "!synthetic-policy-b:example.org" as RoomId;
const ROOM_1 = "!synthetic-0001:example.org";
const ROOM_2 = "!synthetic-0002:example.org";
const USER = "@spammer-0001:example.org";
const TAGS = { takedown: ["csam"], ban: ["abuse"] };

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest();
/** LJS-4 computed here, independently of core/hash.ts. */
const ljs4 = (id: string) => sha256(sha256(id)).toString("hex");

let n = 0;
function rule(kind: string, stateKey: string, content: object, type = `m.policy.rule.${kind}`) {
  return { type, state_key: stateKey, content, event_id: `$synthetic-${++n}` };
}
const roomBan = (entity: string, recommendation = "m.ban", stateKey = `rule:${entity}`) =>
  rule("room", stateKey, { entity, recommendation, reason: "quokkaberry" });

describe("PolicyRuleset: state semantics", () => {
  it("adds, replaces and removes rules by (policy room, type, state key)", () => {
    const set = new PolicyRuleset();
    expect(set.apply(POLICY_A, roomBan(ROOM_1))).toBe("added");
    expect(set.apply(POLICY_A, roomBan(ROOM_1, "m.takedown"))).toBe("replaced");
    expect(set.counts().rules.room).toEqual({ ban: 0, takedown: 1, other: 0 });
    // The same state key in another policy room is another rule.
    expect(set.apply(POLICY_B, roomBan(ROOM_1))).toBe("added");
    expect([...set.rules()]).toHaveLength(2);
    expect(set.apply(POLICY_A, rule("room", `rule:${ROOM_1}`, {}))).toBe("removed");
    expect(set.counts().rules.room).toEqual({ ban: 1, takedown: 0, other: 0 });
  });

  it("drops a rule at once when it is redacted", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, roomBan(ROOM_1));
    const redacted = { ...roomBan(ROOM_1), unsigned: { redacted_because: {} }, content: {} };
    expect(set.apply(POLICY_A, redacted)).toBe("removed");
    expect(set.roomEntries(TAGS).rooms).toEqual([]);
  });

  it("drops a rule when a redaction names its event, in that policy room only", () => {
    const set = new PolicyRuleset();
    const event = roomBan(ROOM_1);
    set.apply(POLICY_A, event);
    set.apply(POLICY_B, event);
    expect(set.redact(POLICY_A, "$synthetic-unknown")).toBe(false);
    expect(set.redact(POLICY_A, event.event_id)).toBe(true);
    expect(set.counts().rules.room.ban).toBe(1); // POLICY_B's copy stands
    expect(set.redact(POLICY_B, event.event_id)).toBe(true);
    expect(set.roomEntries(TAGS).rooms).toEqual([]);
  });

  it("drops a rule replaced by a malformed one, and counts the skip until it is fixed", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, roomBan(ROOM_1, "m.ban", "k"));
    expect(set.apply(POLICY_A, roomBan("!synthetic-*:example.org", "m.ban", "k"))).toBe("skipped");
    expect(set.roomEntries(TAGS).rooms).toEqual([]);
    expect(set.counts().skipped.glob).toBe(1);
    expect(set.apply(POLICY_A, roomBan(ROOM_2, "m.ban", "k"))).toBe("added");
    expect(set.counts().skipped.glob).toBe(0);
  });

  it("keeps legacy and current types in their own slots, as Matrix state does", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, rule("user", "k", { entity: USER, recommendation: "m.ban" }));
    set.apply(
      POLICY_A,
      rule("user", "k", { entity: USER, recommendation: "m.ban" }, "m.room.rule.user"),
    );
    set.apply(POLICY_A, rule("user", "k", {}));
    expect(set.matcher().matchesUser(USER)).toEqual({ recommendation: "ban" });
    set.apply(POLICY_A, rule("user", "k", {}, "m.room.rule.user"));
    expect(set.matcher().matchesUser(USER)).toBeUndefined();
  });

  it("forgets one policy room's rules", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, roomBan(ROOM_1));
    set.apply(POLICY_B, roomBan(ROOM_2));
    set.dropRoom(POLICY_A);
    expect(set.roomEntries(TAGS).rooms.map((r) => r.hash)).toEqual([ljs4(ROOM_2)]);
  });
});

describe("PolicyRuleset: counts", () => {
  it("counts by kind, recommendation and skip reason, never naming an entity", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, roomBan(ROOM_1, "m.takedown"));
    set.apply(POLICY_A, roomBan(ROOM_2, "org.matrix.mjolnir.allow"));
    set.apply(
      POLICY_A,
      rule("user", "u1", { entity: "@spammer-*:example.org", recommendation: "m.ban" }),
    );
    set.apply(
      POLICY_A,
      rule("user", "u2", {
        hashes: { sha256: sha256(USER).toString("base64") },
        recommendation: "m.ban",
      }),
    );
    set.apply(POLICY_A, rule("server", "s1", { entity: "bad.example", recommendation: "m.ban" }));
    set.apply(POLICY_A, rule("server", "s2", { entity: 7, recommendation: "m.ban" }));
    set.apply(POLICY_A, roomBan("!synthetic-*:example.org"));
    expect(set.apply(POLICY_A, { type: "m.policy.rule.room", content: {} })).toBe("malformed");
    expect(set.apply(POLICY_A, { type: "m.room.name", state_key: "", content: {} })).toBe(
      "ignored",
    );
    const counts = set.counts();
    expect(counts).toEqual({
      rules: {
        room: { ban: 0, takedown: 1, other: 1 },
        user: { ban: 2, takedown: 0, other: 0 },
        server: { ban: 1, takedown: 0, other: 0 },
      },
      hashed: 1,
      globs: 1,
      skipped: {
        glob: 1,
        "broad-glob": 0,
        "bad-entity": 1,
        "no-entity": 0,
        "bad-hash": 0,
        "bad-recommendation": 0,
        "bad-content": 0,
      },
      malformedEvents: 1,
    });
    const text = JSON.stringify(counts);
    for (const word of ["synthetic", "spammer", "bad.example", "example.org", "quokkaberry"]) {
      expect(text).not.toContain(word);
    }
  });
});

describe("PolicyRuleset: room entries for the lookup service's list", () => {
  it("hashes room ids (LJS-4) and tags them by recommendation; unmapped rules are counted", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, roomBan(ROOM_1, "m.takedown"));
    set.apply(POLICY_A, roomBan(ROOM_2, "org.matrix.mjolnir.ban"));
    set.apply(POLICY_A, roomBan("!synthetic-0003:example.org", "org.matrix.mjolnir.allow"));
    const entries = set.roomEntries(TAGS);
    expect(entries.unmapped).toBe(1);
    const byHash = new Map(entries.rooms.map((r) => [r.hash, r.tags]));
    expect(byHash).toEqual(
      new Map([
        [ljs4(ROOM_1), ["csam"]],
        [ljs4(ROOM_2), ["abuse"]],
      ]),
    );
    // Only takedowns mapped: bans are unmapped now.
    expect(set.roomEntries({ takedown: ["csam"] }).unmapped).toBe(2);
  });

  it("turns an MSC4205 hashed room into its LJS-4 hash directly (independent vector)", () => {
    // MSC4205 value: padded base64 of SHA-256(room id). LJS-4: hex(SHA-256(those 32 bytes)).
    const msc4205 = sha256(ROOM_1).toString("base64");
    const expected = createHash("sha256").update(Buffer.from(msc4205, "base64")).digest("hex");
    expect(expected).toBe(ljs4(ROOM_1)); // the same as hashing the plain id twice
    const set = new PolicyRuleset();
    set.apply(
      POLICY_A,
      rule("room", "h", { hashes: { sha256: msc4205 }, recommendation: "m.takedown" }),
    );
    expect(set.roomEntries(TAGS).rooms).toEqual([
      {
        hash: expected,
        reportId: policyReportId(POLICY_A, { type: "m.policy.rule.room", stateKey: "h" }),
        tags: ["csam"],
      },
    ]);
  });

  it("gives a room in several rules the union of tags and the smallest report id", () => {
    const forward = new PolicyRuleset();
    const backward = new PolicyRuleset();
    const events = [
      [POLICY_A, roomBan(ROOM_1, "m.ban", "one")],
      [
        POLICY_B,
        rule("room", "two", {
          hashes: { sha256: sha256(ROOM_1).toString("base64") },
          recommendation: "m.takedown",
        }),
      ],
    ] as const;
    for (const [room, e] of events) forward.apply(room, e);
    for (const [room, e] of [...events].reverse()) backward.apply(room, e);
    const rooms = forward.roomEntries(TAGS).rooms;
    expect(rooms).toHaveLength(1);
    expect(rooms[0]!.tags).toEqual(["abuse", "csam"]);
    const ids = [
      policyReportId(POLICY_A, { type: "m.policy.rule.room", stateKey: "one" }),
      policyReportId(POLICY_B, { type: "m.policy.rule.room", stateKey: "two" }),
    ].sort();
    expect(rooms[0]!.reportId).toBe(ids[0]);
    expect(backward.roomEntries(TAGS).rooms).toEqual(rooms);
  });

  it("returns aliases apart, for the caller to resolve", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, roomBan("#quokkaberry:example.org", "m.takedown"));
    const entries = set.roomEntries(TAGS);
    expect(entries.rooms).toEqual([]);
    expect(entries.aliases.map((a) => [a.alias, a.tags])).toEqual([
      ["#quokkaberry:example.org", ["csam"]],
    ]);
  });

  it("report ids are stable, short and name no room", () => {
    const slot = { type: "m.policy.rule.room", stateKey: `rule:${ROOM_1}` };
    const id = policyReportId(POLICY_A, slot);
    expect(id).toMatch(/^policy:[0-9a-f]{16}$/);
    expect(policyReportId(POLICY_A, slot)).toBe(id);
    expect(policyReportId(POLICY_B, slot)).not.toBe(id);
    expect(policyReportId(POLICY_A, { ...slot, type: "m.room.rule.room" })).not.toBe(id);
  });

  it("builds a source list the lookup service can answer from", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY_A, roomBan(ROOM_1, "m.takedown"));
    const builder = new SourceListBuilder();
    for (const room of set.roomEntries(TAGS).rooms) builder.add(room);
    const list = builder.build();
    expect(list.size).toBe(1);
    const reportId = policyReportId(POLICY_A, {
      type: "m.policy.rule.room",
      stateKey: `rule:${ROOM_1}`,
    });
    expect(list.match(ljs4(ROOM_1) as Ljs4Hash, new Set(["csam"]))).toEqual({
      reportId,
      tags: ["csam"],
    });
  });

  it("validates the mapping config strictly", () => {
    expect(recommendationTagsSchema.safeParse(TAGS).success).toBe(true);
    expect(recommendationTagsSchema.safeParse({ bans: ["abuse"] }).success).toBe(false);
    expect(recommendationTagsSchema.safeParse({ ban: [""] }).success).toBe(false);
  });
});
