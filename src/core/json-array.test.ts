import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidJsonError, jsonArraySlices, looksLikeJsonArray } from "./json-array.js";

/** All elements, or "invalid". */
function viaSlices(text: string, per: number): unknown[] | "invalid" {
  try {
    return [...jsonArraySlices(text, per)].flat();
  } catch (e) {
    if (e instanceof InvalidJsonError) return "invalid";
    throw e;
  }
}

/** What JSON.parse makes of it, arrays only. */
function viaParse(text: string): unknown[] | "invalid" | "not an array" {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : "not an array";
  } catch {
    return "invalid";
  }
}

describe("jsonArraySlices", () => {
  it.each([
    ["[]", []],
    [" [ ] \n", []],
    ['[1, "a,]", {"b": [2, {"c": "}"}]}, null]', [1, "a,]", { b: [2, { c: "}" }] }, null]],
    ['["quote \\" and backslash \\\\", 2]', ['quote " and backslash \\', 2]],
  ])("parses %s like JSON.parse", (text, expected) => {
    for (const per of [1, 2, 3, 100]) expect(viaSlices(text, per)).toEqual(expected);
  });

  it.each([
    "",
    "[",
    "[1,,2]",
    "[1,]",
    "[,1]",
    "[1 2]",
    "[1] x",
    "[1}",
    '["open',
    '["\\"]',
    "[[1, 2]",
    "[{]}",
    "\uFEFF[1]",
    "{}",
  ])("refuses %j at every slice size", (text) => {
    for (const per of [1, 2, 3, 100]) expect(viaSlices(text, per)).toBe("invalid");
  });

  it("never quotes the text in its error", () => {
    expect(() => [...jsonArraySlices('[{"report_id": "!secret:example.org"', 1)]).toThrow(
      /^not valid JSON$/,
    );
  });

  it("accepts exactly what JSON.parse accepts as an array, with the same elements", () => {
    const arrays = fc
      .array(fc.jsonValue(), { maxLength: 12 })
      .map((a) => JSON.stringify(a, null, 1));
    // Valid arrays, and the same with one character deleted, replaced or inserted.
    const texts = fc.oneof(
      arrays,
      fc
        .tuple(arrays, fc.nat(), fc.constantFrom(",", "]", "[", "{", "}", '"', "\\", " ", "1", ""))
        .map(
          ([t, at, c]) => t.slice(0, at % (t.length + 1)) + c + t.slice((at % (t.length + 1)) + 1),
        ),
      fc
        .tuple(arrays, fc.nat(), fc.constantFrom(",", "]", "[", "}", '"', "\\"))
        .map(([t, at, c]) => t.slice(0, at % (t.length + 1)) + c + t.slice(at % (t.length + 1))),
    );
    fc.assert(
      fc.property(texts, fc.integer({ min: 1, max: 4 }), (text, per) => {
        // Texts not starting with "[" are left to JSON.parse by the caller (rdlist.ts).
        fc.pre(looksLikeJsonArray(text));
        expect(viaSlices(text, per)).toEqual(viaParse(text));
      }),
      { numRuns: 3000 },
    );
  });
});
