import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodePolicyEvent, type DecodedPolicyEvent } from "./rules.js";

const ROOM = "!synthetic-0001:example.org";
const USER = "@spammer-0001:example.org";
const V12_ROOM = "!" + "A".repeat(21) + "_" + "b".repeat(21); // 43 unpadded URL-safe base64

function event(type: string, content: unknown, stateKey = "rule:1", extra: object = {}) {
  return { type, state_key: stateKey, content, event_id: "$synthetic-event-1", ...extra };
}
const sha256Base64 = (s: string) => createHash("sha256").update(s, "utf8").digest("base64");

/** The rule decoded, or a failure that names the outcome. */
function ruleOf(decoded: DecodedPolicyEvent) {
  if (decoded.outcome !== "rule") throw new Error(`expected a rule, got ${decoded.outcome}`);
  return decoded.rule;
}
function skipOf(decoded: DecodedPolicyEvent) {
  return decoded.outcome === "skipped" ? decoded.reason : decoded.outcome;
}

describe("decodePolicyEvent: types and recommendations", () => {
  it.each([
    ["m.policy.rule.room", "room", ROOM],
    ["m.room.rule.room", "room", ROOM],
    ["org.matrix.mjolnir.rule.room", "room", ROOM],
    ["m.policy.rule.user", "user", USER],
    ["m.room.rule.user", "user", USER],
    ["org.matrix.mjolnir.rule.user", "user", USER],
    ["m.policy.rule.server", "server", "bad.example"],
    ["m.room.rule.server", "server", "bad.example"],
    ["org.matrix.mjolnir.rule.server", "server", "bad.example"],
  ] as const)("%s is a %s rule", (type, kind, entity) => {
    const rule = ruleOf(
      decodePolicyEvent(event(type, { entity, recommendation: "m.ban", reason: "spam" })),
    );
    expect(rule.kind).toBe(kind);
    expect(rule.target).toEqual(
      kind === "room"
        ? { form: "room", roomId: entity }
        : kind === "user"
          ? { form: "user", userId: entity }
          : { form: "server", serverName: entity },
    );
    expect(rule.recommendation).toBe("ban");
    expect(rule.reason).toBe("spam");
    expect(rule.eventId).toBe("$synthetic-event-1");
  });

  it.each([
    ["m.ban", "ban"],
    ["org.matrix.mjolnir.ban", "ban"],
    ["m.takedown", "takedown"],
    ["org.matrix.msc4204.takedown", "takedown"],
    ["org.matrix.mjolnir.allow", "other"],
    ["m.ban.extra", "other"],
  ] as const)("recommendation %s normalises to %s", (sent, normalised) => {
    const rule = ruleOf(
      decodePolicyEvent(event("m.policy.rule.room", { entity: ROOM, recommendation: sent })),
    );
    expect(rule.recommendation).toBe(normalised);
    expect(rule.recommendationType).toBe(sent);
  });

  it("accepts a takedown without a reason (MSC4204), and drops a reason of the wrong type", () => {
    const bare = ruleOf(
      decodePolicyEvent(
        event("m.policy.rule.room", { entity: ROOM, recommendation: "m.takedown" }),
      ),
    );
    expect(bare.recommendation).toBe("takedown");
    expect("reason" in bare).toBe(false);
    const odd = ruleOf(
      decodePolicyEvent(
        event("m.policy.rule.user", { entity: USER, recommendation: "m.ban", reason: 42 }),
      ),
    );
    expect("reason" in odd).toBe(false);
  });

  it("truncates a huge reason rather than keeping it whole", () => {
    const rule = ruleOf(
      decodePolicyEvent(
        event("m.policy.rule.user", {
          entity: USER,
          recommendation: "m.ban",
          reason: "quokkaberry ".repeat(10_000),
        }),
      ),
    );
    expect(rule.reason?.length).toBe(1000);
  });

  it("ignores state events that are not policy rules", () => {
    expect(decodePolicyEvent(event("m.room.create", { creator: USER }, "")).outcome).toBe(
      "ignored",
    );
    expect(decodePolicyEvent(event("m.policy.rule.bogus", { entity: ROOM })).outcome).toBe(
      "ignored",
    );
  });
});

describe("decodePolicyEvent: entities", () => {
  const room = (entity: unknown) =>
    decodePolicyEvent(event("m.policy.rule.room", { entity, recommendation: "m.ban" }));
  const user = (entity: unknown) =>
    decodePolicyEvent(event("m.policy.rule.user", { entity, recommendation: "m.ban" }));
  const server = (entity: unknown) =>
    decodePolicyEvent(event("m.policy.rule.server", { entity, recommendation: "m.ban" }));

  it("takes room version 12 ids (no server part) and aliases", () => {
    expect(ruleOf(room(V12_ROOM)).target).toEqual({ form: "room", roomId: V12_ROOM });
    expect(ruleOf(room("#quokkaberry:example.org")).target).toEqual({
      form: "alias",
      alias: "#quokkaberry:example.org",
    });
  });

  it("skips room rules with globs, and counts them as glob", () => {
    expect(skipOf(room("!synthetic-*:example.org"))).toBe("glob");
    expect(skipOf(room("#quokka?erry:example.org"))).toBe("glob");
    expect(skipOf(room("*"))).toBe("glob");
  });

  it("keeps user and server globs (server globs in lower case)", () => {
    expect(ruleOf(user("@spammer-*:example.org")).target).toEqual({
      form: "glob",
      pattern: "@spammer-*:example.org",
    });
    expect(ruleOf(server("*.Bad.Example")).target).toEqual({
      form: "glob",
      pattern: "*.bad.example",
    });
  });

  it("skips globs that would match everyone", () => {
    for (const g of ["*", "@*:*", "?*", "*.*"]) {
      expect(skipOf(user(g))).toBe("broad-glob");
      expect(skipOf(server(g))).toBe("broad-glob");
    }
  });

  it.each([
    ["a number", 42],
    ["an object", { id: ROOM }],
    ["empty", ""],
    ["an id of another kind", USER],
    ["a huge string", "!" + "a".repeat(300) + ":example.org"],
    ["a huge glob", "@" + "*a".repeat(200) + ":example.org"],
  ])("skips an entity that is %s", (_what, entity) => {
    expect(skipOf(room(entity))).toBe("bad-entity");
    expect(skipOf(user(typeof entity === "string" && entity === USER ? ROOM : entity))).toBe(
      "bad-entity",
    );
  });

  it("skips a server glob with characters no server name has", () => {
    expect(skipOf(server("*.bad example"))).toBe("bad-entity");
    expect(skipOf(server("bad_example.*/"))).toBe("bad-entity");
  });

  it("skips rules with no entity and no hash", () => {
    expect(
      skipOf(decodePolicyEvent(event("m.policy.rule.room", { recommendation: "m.ban" }))),
    ).toBe("no-entity");
  });

  it("skips rules whose recommendation is missing or not a string", () => {
    expect(skipOf(decodePolicyEvent(event("m.policy.rule.room", { entity: ROOM })))).toBe(
      "bad-recommendation",
    );
    const wrong = event("m.policy.rule.room", { entity: ROOM, recommendation: ["m.ban"] });
    expect(skipOf(decodePolicyEvent(wrong))).toBe("bad-recommendation");
    const huge = event("m.policy.rule.room", { entity: ROOM, recommendation: "m".repeat(300) });
    expect(skipOf(decodePolicyEvent(huge))).toBe("bad-recommendation");
  });

  it("skips content that is not an object", () => {
    expect(skipOf(decodePolicyEvent(event("m.policy.rule.room", "m.ban")))).toBe("bad-content");
    expect(skipOf(decodePolicyEvent(event("m.policy.rule.room", [ROOM])))).toBe("bad-content");
  });
});

describe("decodePolicyEvent: hashed entities (MSC4205)", () => {
  const hashed = (hashes: object, extra: object = {}) =>
    decodePolicyEvent(
      event("m.policy.rule.user", { recommendation: "m.ban", ...hashes, ...extra }),
    );

  it("reads hashes.sha256 and the unstable key as the 32 raw bytes", () => {
    // The example of MSC4205 itself: base64(SHA-256("@yarrgh:example.com")).
    const example = "VPqwbUV7mMMkOVto3kPwsNXXiALMs7VCKWh3OeqqjGs=";
    expect(sha256Base64("@yarrgh:example.com")).toBe(example);
    const digest = createHash("sha256").update("@yarrgh:example.com").digest();
    for (const key of ["hashes", "org.matrix.msc4205.hashes"]) {
      const rule = ruleOf(hashed({ [key]: { sha256: example } }));
      expect(rule.target.form).toBe("hash");
      expect(rule.target.form === "hash" && rule.target.sha256.equals(digest)).toBe(true);
    }
  });

  it("prefers a plain entity over a hash", () => {
    const rule = ruleOf(hashed({ hashes: { sha256: sha256Base64(USER) } }, { entity: USER }));
    expect(rule.target).toEqual({ form: "user", userId: USER });
  });

  it.each([
    ["unpadded", sha256Base64(USER).slice(0, -1)],
    ["hex", createHash("sha256").update(USER).digest("hex")],
    ["16 bytes", Buffer.alloc(16).toString("base64")],
    ["non-canonical last character", sha256Base64(USER).slice(0, 42) + "B="],
    ["a number", 7],
  ])("skips a hash that is %s", (_what, sha256) => {
    expect(skipOf(hashed({ hashes: { sha256 } }))).toBe("bad-hash");
  });

  it("skips hashes that are not an object; a hashes object without sha256 is no entity", () => {
    expect(skipOf(hashed({ hashes: "abc" }))).toBe("bad-hash");
    expect(skipOf(hashed({ hashes: { sha512: "abc" } }))).toBe("no-entity");
  });
});

describe("decodePolicyEvent: removal and malformed events", () => {
  it("reads empty content, missing content and redactions as removals", () => {
    const slot = { type: "m.policy.rule.room", stateKey: "rule:1" };
    expect(decodePolicyEvent(event("m.policy.rule.room", {}))).toEqual({
      outcome: "removal",
      slot,
    });
    expect(decodePolicyEvent(event("m.policy.rule.room", undefined))).toEqual({
      outcome: "removal",
      slot,
    });
    const redacted = event(
      "m.policy.rule.room",
      { entity: ROOM, recommendation: "m.ban" },
      "rule:1",
      { unsigned: { redacted_because: { type: "m.room.redaction" } } },
    );
    expect(decodePolicyEvent(redacted)).toEqual({ outcome: "removal", slot });
  });

  it.each([
    ["no state key", { type: "m.policy.rule.room", content: {} }],
    ["a numeric state key", { type: "m.policy.rule.room", state_key: 1, content: {} }],
    ["a huge state key", { type: "m.policy.rule.room", state_key: "k".repeat(256), content: {} }],
    ["no type", { state_key: "", content: {} }],
    ["not an object", "m.policy.rule.room"],
    ["null", null],
  ])("calls an event with %s malformed", (_what, raw) => {
    expect(decodePolicyEvent(raw).outcome).toBe("malformed");
  });
});
