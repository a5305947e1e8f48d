// Benign synthetic words only (pineapple, marmalade, teapot, cat): never real abusive terms.
import { hash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TermMatcher, hashTerm, type TermList } from "./matcher.js";

const FRUIT: TermList = {
  id: "fruit",
  harms: ["m.spam.fraud"],
  terms: ["pineapple", "marmalade jar", "cat"],
};
const fruit = new TermMatcher([FRUIT]);
const HIT = { matched: true, listId: "fruit", harms: ["m.spam.fraud"] };
const MISS = { matched: false };

describe("TermMatcher: evasions still match", () => {
  it.each([
    "pineapple",
    "Buy a PINEAPPLE now",
    "ｐｉｎｅａｐｐｌｅ",
    "pine\u200Bapple",
    "\u0440ine\u0430\u0440\u0440le",
    "p\u03b9\u039de\u03b1pple",
    "p1n3@pple",
    "PlNEAPPLE",
    "p.i.n.e.a.p.p.l.e",
    "p i n e a p p l e",
    "p-i-n-e-a-p-p-l-e",
    "pîñéàpplé",
    "piiineeeapppple",
    "MARMALADE   jar!",
    "m@rm4lade.j4r",
    "the c a t sat",
    "C\u0410T",
    // Plurals, and a word split by a space or punctuation, are read as the word too.
    "cats",
    "pineapples",
    "pine apple",
    "pine-apple",
    "ca t",
    "marmalade-jar",
  ])("%j", (text) => {
    expect(fruit.match(text)).toEqual(HIT);
  });
});

describe("TermMatcher: benign text does not match", () => {
  it.each([
    "concatenate",
    "category",
    "pinecone applesauce",
    "catalogue",
    "scatter",
    "marmalade",
    "jar of marmalade",
    "marmalade, a jar",
    "a teapot",
    "",
    "   ",
  ])("%j", (text) => {
    expect(fruit.match(text)).toEqual(MISS);
  });

  it("does not return or expose the matched term", () => {
    const result = fruit.match("pineapple");
    expect(JSON.stringify(result)).not.toContain("pine");
    expect(Object.keys(result).sort()).toEqual(["harms", "listId", "matched"]);
  });
});

describe("TermMatcher: allow-list", () => {
  const matcher = new TermMatcher([{ ...FRUIT, allow: ["pineapple express", "tabby cat cafe"] }]);

  it("suppresses a term occurrence inside an allowed phrase", () => {
    expect(matcher.match("Pineapple Express timetable")).toEqual(MISS);
    expect(matcher.match("the tabby-cat cafe")).toEqual(MISS);
    expect(matcher.match("P1NEAPPLE EXPRESS")).toEqual(MISS);
  });

  it("does not suppress another occurrence elsewhere in the text", () => {
    expect(matcher.match("pineapple express and pineapple")).toEqual(HIT);
    expect(matcher.match("express pineapple")).toEqual(HIT);
  });

  it("does not suppress other lists", () => {
    const two = new TermMatcher([
      { id: "a", harms: ["m.spam"], terms: ["teapot"], allow: ["teapot museum"] },
      { id: "b", harms: ["m.other"], terms: ["teapot"] },
    ]);
    expect(two.match("teapot museum")).toEqual({ matched: true, listId: "b", harms: ["m.other"] });
  });
});

describe("TermMatcher: multi-word terms", () => {
  const matcher = new TermMatcher([
    { id: "phrases", harms: ["m.spam"], terms: ["big red teapot", "teapot"] },
    { id: "long", harms: ["m.other"], terms: ["one two three four five six seven"] },
  ]);

  it("needs the words consecutive and whole", () => {
    expect(matcher.match("a BIG-red_teapot!").matched).toBe(true);
    expect(matcher.match("one two three four five six seven")).toMatchObject({ listId: "long" });
    expect(matcher.match("one two three four five six")).toEqual(MISS);
    expect(matcher.match("one two three four five six sevenfold")).toEqual(MISS);
  });

  it("matches a term at the very end of the text", () => {
    expect(matcher.match("two three four five six seven")).toEqual(MISS);
    expect(matcher.match("zero one two three four five six seven")).toMatchObject({
      listId: "long",
    });
  });
});

describe("TermMatcher: hashed lists", () => {
  const hashed = new TermMatcher([
    {
      id: "private",
      harms: ["m.child_safety.csam"],
      hashedTerms: {
        sha256: [...hashTerm("pineapple"), ...hashTerm("marmalade jar")],
        maxWords: 2,
      },
      hashedAllow: { sha256: hashTerm("pineapple express"), maxWords: 2 },
    },
  ]);
  const PRIVATE = { matched: true, listId: "private", harms: ["m.child_safety.csam"] };

  it("documents the exact hash input: SHA-256 of the UTF-8 term key", () => {
    const digest = hash("sha256", "marmalade", "hex");
    expect(hashTerm("Marmalade")).toEqual([digest]);
    // A term of several words also stores its words written together.
    expect(hashTerm("marmalade jar")).toEqual(
      ["marmalade jar", "marmaladejar"].map((k) => hash("sha256", k, "hex")),
    );
    // Upper case marks i/l-ambiguity, so "pineapple" also stores its "plneaple" reading.
    expect(hashTerm("pineapple")).toEqual(
      ["pineaple", "plneaple"].map((k) => hash("sha256", k, "hex")),
    );
  });

  it("matches evasions like a plain list", () => {
    for (const text of ["PINEAPPLE", "p 1 n e a p p l e", "m4rmalade JAR", "ｐｉｎｅａｐｐｌｅ"]) {
      expect(hashed.match(text)).toEqual(PRIVATE);
    }
  });

  it("respects word boundaries and the hashed allow-list", () => {
    expect(hashed.match("pineapplesauce")).toEqual(MISS);
    expect(hashed.match("marmalade")).toEqual(MISS);
    expect(hashed.match("pineapple express")).toEqual(MISS);
    expect(hashed.match("pineapple express pineapple")).toEqual(PRIVATE);
  });

  it("accepts upper-case hex and rejects malformed digests or maxWords", () => {
    const upper = (hashTerm("teapot")[0] ?? "").toUpperCase();
    const ok = new TermMatcher([
      { id: "x", harms: [], hashedTerms: { sha256: [upper], maxWords: 1 } },
    ]);
    expect(ok.match("teapot").matched).toBe(true);
    expect(
      () => new TermMatcher([{ id: "x", harms: [], hashedTerms: { sha256: ["zz"], maxWords: 1 } }]),
    ).toThrow(RangeError);
    expect(
      () => new TermMatcher([{ id: "x", harms: [], hashedTerms: { sha256: [], maxWords: 0 } }]),
    ).toThrow(RangeError);
  });
});

describe("TermMatcher: construction", () => {
  it("prefers the earliest list when several match", () => {
    const m = new TermMatcher([
      { id: "first", harms: ["m.spam"], terms: ["jar"] },
      { id: "second", harms: ["m.other"], terms: ["teapot"] },
    ]);
    expect(m.match("teapot jar")).toMatchObject({ listId: "first" });
  });

  it("rejects duplicate list ids and counts terms that normalise to nothing", () => {
    expect(() => new TermMatcher([FRUIT, FRUIT])).toThrow(RangeError);
    const m = new TermMatcher([{ id: "x", harms: [], terms: ["!!!", "\u200B", "teapot"] }]);
    expect(m.skippedTerms).toBe(2);
    expect(m.match("!!!")).toEqual(MISS);
  });

  it("matches numeric terms exactly, not as leetspeak", () => {
    const m = new TermMatcher([{ id: "n", harms: ["m.other"], terms: ["13"] }]);
    expect(m.match("room 13").matched).toBe(true);
    expect(m.match("room 130")).toEqual(MISS);
    expect(m.match("ie le")).toEqual(MISS);
  });

  it("works with no lists", () => {
    expect(new TermMatcher([]).match("pineapple")).toEqual(MISS);
  });
});

describe("TermMatcher: odd input never throws", () => {
  const both = new TermMatcher([
    { ...FRUIT, hashedTerms: { sha256: hashTerm("teapot"), maxWords: 3 } },
  ]);

  it.each([
    ["lone surrogates", "\uD800pineapple\uDFFF"],
    ["only marks", "\u0301\u0302\u0303"],
    ["control characters", "\u0000\u0001pineapple\u007F"],
    ["many I markers", "IIIIIIIIIIII lllllllll 1111111a1 I1I1I1I1I1I1I1I1"],
  ])("%s", (_name, text) => {
    expect(() => both.match(text)).not.toThrow();
  });

  it("handles 100k-character strings in both modes", () => {
    const filler = "marmalade I1l teapot jar ".repeat(4000);
    expect(both.match(filler).matched).toBe(true);
    expect(both.match("x".repeat(100_000))).toEqual(MISS);
    expect(both.match("a b ".repeat(25_000))).toEqual(MISS);
    expect(both.match(`${"q ".repeat(50_000)}pineapple`)).toEqual(HIT);
  });
});
