import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RoomId } from "../core/ids.js";
import { globMatches, isGlob } from "./glob.js";
import { PolicyRuleset } from "./ruleset.js";

const POLICY = "!synthetic-policy-a:example.org" as RoomId;
const SPAMMER = "@spammer-0001:example.org";
const sha256Base64 = (s: string) => createHash("sha256").update(s, "utf8").digest("base64");

/** A ruleset of the given (kind, content) rules, each in its own slot. */
function matcherOf(...rules: [string, object][]) {
  const set = new PolicyRuleset();
  rules.forEach(([kind, content], i) =>
    set.apply(POLICY, { type: `m.policy.rule.${kind}`, state_key: `k${i}`, content }),
  );
  return set.matcher();
}

describe("globMatches (spec appendix: Glob-style matching)", () => {
  it.each([
    ["@spammer-*:example.org", SPAMMER, true],
    ["@spammer-????:example.org", SPAMMER, true],
    ["@spammer-???:example.org", SPAMMER, false],
    ["*:bad.example", "@anyone:bad.example", true],
    ["*:bad.example", "@anyone:bad.example.org", false],
    ["*.bad.example", "bad.example", false],
    ["*.bad.example", "a.b.bad.example", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "acb", false],
    ["?", "😀", true], // one character, not one UTF-16 unit
    ["a?b", "a😀b", true],
    ["😀*", "😀x", true],
    ["?😀", "😀", false],
    ["", "", true],
    ["*", "", true],
  ])("%s vs %s is %s", (pattern, candidate, expected) => {
    expect(globMatches(pattern, candidate)).toBe(expected);
  });

  it("agrees with an anchored regular expression on random patterns", () => {
    const toRegExp = (glob: string) =>
      new RegExp(
        "^" +
          Array.from(glob)
            .map((ch) =>
              ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
            )
            .join("") +
          "$",
        "su",
      );
    const text = (chars: string[], max: number) =>
      fc.array(fc.constantFrom(...chars), { maxLength: max }).map((a) => a.join(""));
    fc.assert(
      fc.property(
        text(["a", "b", "*", "?", ".", "😀"], 8),
        text(["a", "b", ".", "😀"], 10),
        (p, c) => {
          expect(globMatches(p, c)).toBe(toRegExp(p).test(c));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("answers a pathological pattern over a long candidate (no regex backtracking)", () => {
    const pattern = "*a".repeat(60) + "*b";
    expect(globMatches(pattern, "a".repeat(250))).toBe(false);
    expect(globMatches(pattern, "a".repeat(250) + "b")).toBe(true);
  });

  it("knows a glob when it sees one", () => {
    expect(isGlob("@spammer-*:example.org")).toBe(true);
    expect(isGlob("bad.exampl?")).toBe(true);
    expect(isGlob(SPAMMER)).toBe(false);
  });
});

describe("PolicyMatcher", () => {
  it("matches users exactly, by glob and by MSC4205 hash", () => {
    const exact = matcherOf(["user", { entity: SPAMMER, recommendation: "m.ban" }]);
    expect(exact.matchesUser(SPAMMER)).toEqual({ recommendation: "ban" });
    expect(exact.matchesUser("@spammer-0002:example.org")).toBeUndefined();
    expect(exact.matchesUser("@SPAMMER-0001:example.org")).toBeUndefined();

    const glob = matcherOf(["user", { entity: "@spammer-*:example.org", recommendation: "m.ban" }]);
    expect(glob.matchesUser("@spammer-0002:example.org")).toEqual({ recommendation: "ban" });
    expect(glob.matchesUser("@quokkaberry:example.org")).toBeUndefined();

    // The example of MSC4205: base64(SHA-256("@yarrgh:example.com")).
    const hashed = matcherOf([
      "user",
      {
        hashes: { sha256: "VPqwbUV7mMMkOVto3kPwsNXXiALMs7VCKWh3OeqqjGs=" },
        recommendation: "m.ban",
      },
    ]);
    expect(hashed.matchesUser("@yarrgh:example.com")).toEqual({ recommendation: "ban" });
    expect(hashed.matchesUser(SPAMMER)).toBeUndefined();
  });

  it("matches servers exactly, by glob, by hash, in any case and with a port", () => {
    const m = matcherOf(
      ["server", { entity: "bad.example", recommendation: "m.ban" }],
      ["server", { entity: "*.worse.example", recommendation: "m.takedown" }],
      [
        "server",
        {
          "org.matrix.msc4205.hashes": { sha256: sha256Base64("hashed.example") },
          recommendation: "m.ban",
        },
      ],
    );
    expect(m.matchesServer("bad.example")).toEqual({ recommendation: "ban" });
    expect(m.matchesServer("Bad.Example:8448")).toEqual({ recommendation: "ban" });
    expect(m.matchesServer("not-bad.example")).toBeUndefined();
    expect(m.matchesServer("a.worse.example")).toEqual({ recommendation: "takedown" });
    expect(m.matchesServer("hashed.example:8448")).toEqual({ recommendation: "ban" });
    expect(m.matchesServer("[::1]:8448")).toBeUndefined();
  });

  it("answers the strongest recommendation, and ignores other recommendations", () => {
    const m = matcherOf(
      ["user", { entity: SPAMMER, recommendation: "m.ban" }],
      ["user", { entity: "@spammer-*:example.org", recommendation: "org.matrix.msc4204.takedown" }],
      ["user", { entity: "@quokkaberry:example.org", recommendation: "org.matrix.mjolnir.allow" }],
    );
    expect(m.matchesUser(SPAMMER)).toEqual({ recommendation: "takedown" });
    expect(m.matchesUser("@quokkaberry:example.org")).toBeUndefined();
  });

  it("does not match users by server rules or rooms by either", () => {
    const m = matcherOf(
      ["server", { entity: "example.org", recommendation: "m.ban" }],
      ["room", { entity: "!synthetic-0001:example.org", recommendation: "m.ban" }],
    );
    expect(m.matchesUser(SPAMMER)).toBeUndefined();
    expect(m.matchesServer("example.org")).toEqual({ recommendation: "ban" });
  });

  it("is a snapshot: later events need a new matcher", () => {
    const set = new PolicyRuleset();
    set.apply(POLICY, {
      type: "m.policy.rule.user",
      state_key: "k",
      content: { entity: SPAMMER, recommendation: "m.ban" },
    });
    const before = set.matcher();
    set.apply(POLICY, { type: "m.policy.rule.user", state_key: "k", content: {} });
    expect(before.matchesUser(SPAMMER)).toEqual({ recommendation: "ban" });
    expect(set.matcher().matchesUser(SPAMMER)).toBeUndefined();
  });
});
