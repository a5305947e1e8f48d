// Property tests: normalisation is idempotent and matching never throws, on any string.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TermMatcher, hashTerm } from "./matcher.js";
import { normalise } from "./normalise.js";
import { tokenReadings } from "./readings.js";

// Strings built from characters the pipeline treats specially, so shrinking finds real cases.
const tricky = fc.constantFrom(
  ..."aIl1L0345@$7 .-_'\u200B\u00AD\uFE0F\u202E\u0301\u0336ßẞΗηΙІ\u0430\u0440ｐ𝐩ⓟæǅŉ\uD800\uDC00".split(
    "",
  ),
);
const arbitraryText = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }), // all code points, including lone surrogates
  fc.string({ unit: tricky, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("p", "i", "n", "e", "a", " ", ".", "1", "I", "l") }),
);

const matcher = new TermMatcher([
  {
    id: "plain",
    harms: ["m.spam"],
    terms: ["pineapple", "marmalade jar", "teapot"],
    allow: ["teapot museum"],
  },
  {
    id: "hashed",
    harms: ["m.other"],
    hashedTerms: { sha256: hashTerm("big red teapot"), maxWords: 3 },
  },
]);

describe("properties", () => {
  it("normalise is idempotent", () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        const once = normalise(text);
        expect(normalise(once)).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });

  it("normalised text has no upper case other than the i/l marker, and no marks", () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        expect(normalise(text)).not.toMatch(/[\p{M}\p{Default_Ignorable_Code_Point}]/u);
        for (const token of normalise(text).split(" ")) {
          for (const reading of tokenReadings(token)) expect(reading).not.toContain("I");
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("match never throws and returns a well-formed result", () => {
    fc.assert(
      fc.property(arbitraryText, (text) => {
        const result = matcher.match(text);
        expect(typeof result.matched).toBe("boolean");
      }),
      { numRuns: 3000 },
    );
  });

  it("a listed term matches when surrounded by any separators", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(" ", ".", ",", "!", "\n") }), (sep) => {
        expect(matcher.match(`${sep} teapot ${sep}`).matched).toBe(true);
      }),
    );
  });
});
