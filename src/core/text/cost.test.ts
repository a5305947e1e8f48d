// Cost and keyed hashing of the term matcher. Benign synthetic words only.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyedHasher } from "./keyed-hash.js";
import { TermMatcher, hashTerm, type WorkMeter } from "./matcher.js";
import { termKeys } from "./readings.js";

const TERMS = ["quokkaberry", "marmalade jar", "pineapple", "teapot"];
const plain = new TermMatcher([{ id: "p", harms: [], terms: TERMS }]);
const hashed = new TermMatcher([
  { id: "h", harms: [], hashedTerms: { sha256: TERMS.flatMap((t) => hashTerm(t)), maxWords: 4 } },
]);
const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const units = (matcher: TermMatcher, text: string): number => {
  const meter: WorkMeter = { units: 0 };
  matcher.match(text, meter);
  return meter.units;
};

/** Inputs that were slow before (and some more), and a benign baseline. */
const HOSTILE = [
  "l1l1l1 ",
  "\uFDFA",
  "\uFDFA ",
  "I1l| ",
  "a ",
  "q.u.o.k.k.a.",
  "\u202Ea\u202C ",
  "𝐪𝐮𝐨 ",
  "aa bb cc ",
];
const BENIGN = "garden club music hiking ";

describe("matching cost is linear in the text (work units, not time)", () => {
  it.each(
    [plain, hashed].flatMap((m, i) =>
      [...HOSTILE, BENIGN].map((u) => [i ? "hashed" : "plain", u, m] as const),
    ),
  )("%s list, %j repeated: 4× the text is at most ~4× the work", (_kind, unit, matcher) => {
    const n = units(matcher, fill(unit, 4_000));
    const n4 = units(matcher, fill(unit, 16_000));
    expect(n).toBeGreaterThan(0);
    expect(n4 / n).toBeLessThan(4.4);
  });

  it("costs a bounded amount per character, hostile inputs within 5× of benign text", () => {
    for (const matcher of [plain, hashed]) {
      const benign = units(matcher, fill(BENIGN, 16_000)) / 16_000;
      for (const unit of HOSTILE) {
        const perChar = units(matcher, fill(unit, 16_000)) / 16_000;
        expect([unit, perChar]).toEqual([unit, expect.any(Number)]);
        expect(perChar, JSON.stringify(unit)).toBeLessThan(Math.max(5 * benign, 20));
      }
    }
  });

  it("bounds a character's expansion: U+FDFA (18 characters under NFKC) reads as one separator", () => {
    expect(units(plain, fill("\uFDFA", 4_096))).toBeLessThanOrEqual(4_096 * 2);
  });
});

describe("whole texts", () => {
  const long = `${"orchard news and notes ".repeat(300)}the pineapple room`;

  it("matches a term after character 5,000, plain and hashed", () => {
    expect(long.indexOf("pineapple")).toBeGreaterThan(5_000);
    expect(plain.match(long)).toMatchObject({ matched: true, listId: "p" });
    expect(hashed.match(long)).toMatchObject({ matched: true, listId: "h" });
    expect(plain.match(long.replace("pineapple", "pinecone")).matched).toBe(false);
  });
});

describe("bidirectional text", () => {
  it("reads text under a right-to-left override reversed, and only then", () => {
    expect(plain.match("\u202Eelppaenip").matched).toBe(true);
    expect(plain.match("\u2067elppaenip\u2069 club").matched).toBe(true);
    expect(plain.match("elppaenip").matched).toBe(false);
    expect(plain.match("\u202Apineapple\u202C").matched).toBe(true);
  });
});

describe("LIKE wildcards in searches", () => {
  it("reaches a term only through wildcards covering more than half of it", () => {
    for (const search of ["pinea__le", "pineap%", "%neapple", "teap_t", "marmalade%"]) {
      expect(plain.searchCouldReach(search), search).toMatchObject({ matched: true });
    }
    for (const search of ["p%", "%apple", "pine", "pineapple", "100%", "my_room", "%", "_"]) {
      expect(plain.searchCouldReach(search), search).toEqual({ matched: false });
    }
  });

  it("fills in one or two `_` for hashed lists", () => {
    expect(hashed.searchCouldReach("pinea__le").matched).toBe(true);
    expect(hashed.searchCouldReach("t_apot").matched).toBe(true);
    expect(hashed.searchCouldReach("t_a_o_").matched).toBe(false); // three blanks: not filled
  });

  it("bounds the work of a long search full of wildcards", () => {
    const meter: WorkMeter = { units: 0 };
    hashed.searchCouldReach("a__b ".repeat(2_000), meter);
    expect(meter.units).toBeLessThan(3_000_000);
  });
});

describe("keyed lists (HMAC-SHA-256)", () => {
  const key = Buffer.from("synthetic key, at least sixteen bytes");

  it("computes RFC 2104 HMAC-SHA-256, for short and long keys", () => {
    for (const k of [key, Buffer.alloc(100, 7)]) {
      expect(keyedHasher(k).digest("marmalade jar").toString("hex")).toBe(
        createHmac("sha256", k).update("marmalade jar").digest("hex"),
      );
    }
  });

  it("hashTerm with a key gives the HMAC of every term key", () => {
    expect(hashTerm("marmalade jar", key)).toEqual(
      termKeys("marmalade jar").map((k) => createHmac("sha256", key).update(k).digest("hex")),
    );
    expect(hashTerm("teapot", key)).not.toEqual(hashTerm("teapot"));
  });

  it("matches only under its own key", () => {
    const sha256 = hashTerm("teapot", key);
    const right = new TermMatcher([
      { id: "k", harms: [], hashedTerms: { sha256, maxWords: 1, key } },
    ]);
    const wrong = new TermMatcher([
      {
        id: "k",
        harms: [],
        hashedTerms: { sha256, maxWords: 1, key: Buffer.from("another key, sixteen bytes") },
      },
    ]);
    const unkeyed = new TermMatcher([{ id: "k", harms: [], hashedTerms: { sha256, maxWords: 1 } }]);
    expect(right.match("T3APOT").matched).toBe(true);
    expect(wrong.match("T3APOT").matched).toBe(false);
    expect(unkeyed.match("T3APOT").matched).toBe(false);
  });
});
