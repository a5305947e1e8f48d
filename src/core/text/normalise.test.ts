// Benign synthetic words only (pineapple, marmalade, teapot): never real abusive terms.
import { describe, expect, it } from "vitest";
import { normalise, normaliseTokens } from "./normalise.js";

describe("normalise: evasion forms fold to the same skeleton", () => {
  // "pineapple" normalises to "pineaple" (repeats collapse); every disguise must too.
  const skeleton = "pineaple";
  it.each([
    ["plain", "pineapple"],
    ["mixed case", "PiNeApPlE"],
    ["fullwidth letters (NFKC)", "ｐｉｎｅａｐｐｌｅ"],
    ["mathematical bold letters (NFKC)", "𝐩𝐢𝐧𝐞𝐚𝐩𝐩𝐥𝐞"],
    ["circled letters (NFKC)", "ⓟⓘⓝⓔⓐⓟⓟⓛⓔ"],
    ["zero-width space inside", "pine\u200Bapple"],
    ["zero-width joiner and non-joiner", "pi\u200Dne\u200Capple"],
    ["soft hyphen", "pine\u00ADapple"],
    ["word joiner and BOM", "pin\u2060eap\uFEFFple"],
    ["variation selectors", "pi\uFE0Fneap\uFE0Eple"],
    ["bidi controls", "\u202Epine\u202Capple\u2066"],
    ["combining diacritics", "p\u0302i\u0301n\u0308e\u0300apple"],
    ["precomposed accents", "pînéàpplé"],
    ["stacked combining marks (zalgo)", "p\u0336\u0337i\u0338\u0335\u0334neapple"],
    ["Cyrillic look-alikes", "\u0440ine\u0430\u0440\u0440le"],
    ["Cyrillic capitals", "\u0420INE\u0410\u0420\u0420LE"],
    ["Greek look-alikes", "p\u03b9\u039de\u03b1pple"], // ι, capital Ν, α
    ["Latin look-alikes outside ASCII", "p\u0131neapple"],
    ["leetspeak 3, 4, @", "pin3@pple"],
    ["leetspeak 1 for i", "p1neapple"],
    ["leetspeak mixed", "p1n34ppl3"],
    ["repeated letters", "piiiineeeeapppppleeee"],
    ["dotted letters", "p.i.n.e.a.p.p.l.e"],
    ["spaced letters", "p i n e a p p l e"],
    ["hyphenated letters", "p-i-n-e-a-p-p-l-e"],
    ["underscored letters", "p_i_n_e_a_p_p_l_e"],
    ["mixed separators", "p. i - n _ e a . p p l e"],
    ["spaced capitals with leetspeak", "P 1 N E 4 P P L E"],
  ])("%s", (_name, input) => {
    const readings = normaliseTokens(input);
    expect(readings).toHaveLength(1);
    // The i/l marker "I" may stand where the i was; both readings are tried when matching.
    expect([skeleton, "pIneaple"]).toContain(readings[0]);
  });

  it("reads l in an all-caps word as a possible I", () => {
    expect(normalise("PlNEAPPLE")).toBe("pIneaple");
    expect(normalise("marmalade")).toBe("marmalade");
  });

  it("marks capital I, digit 1 and I/l look-alikes as i/l-ambiguous", () => {
    expect(normalise("TEAPOT IN 1T")).toBe("teapot In It");
    expect(normalise("\u0406\u0399")).toBe("II"); // Cyrillic І, Greek Ι: one letter repeated stays two
  });

  it("folds case-dependent look-alikes by their own case (UTS #39 is case-sensitive)", () => {
    expect(normalise("\u0397\u0395LL\u039f")).toBe("helo"); // Greek capitals ΗΕ…Ο
    expect(normalise("\u03b7")).toBe("n"); // small eta looks like n
  });

  it("case-folds beyond toLowerCase", () => {
    expect(normalise("STRASSE straße")).toBe("strase strase");
    expect(normalise("\u1E9E")).toBe("ss"); // capital sharp s → ss (one repeated letter stays two)
  });
});

describe("normalise: word boundaries and benign text", () => {
  it("splits on spaces and punctuation", () => {
    expect(normaliseTokens("Marmalade, teapot & pineapple!")).toEqual([
      "marmalade",
      "teapot",
      "pineaple",
    ]);
  });

  it("keeps numbers as written, without leetspeak or collapsing", () => {
    expect(normaliseTokens("room 2024 of 100")).toEqual(["rom", "2024", "of", "100"]);
    expect(normaliseTokens("13 1 0")).toEqual(["13", "1", "0"]);
  });

  it("does not join ordinary phrases with one- or two-letter words", () => {
    expect(normaliseTokens("a teapot")).toEqual(["a", "teapot"]);
    expect(normaliseTokens("plan a b")).toEqual(["plan", "a", "b"]);
    expect(normaliseTokens("tea-pot")).toEqual(["tea", "pot"]);
    expect(normaliseTokens("go to the shop")).toEqual(["go", "to", "the", "shop"]);
    expect(normaliseTokens("I am a teapot")).toEqual(["I", "am", "a", "teapot"]);
  });

  it("joins only the run of single letters, not neighbouring words", () => {
    expect(normaliseTokens("marmalade t e a p o t jar")).toEqual(["marmalade", "teapot", "jar"]);
    expect(normaliseTokens("x-ray t.e.a")).toEqual(["x", "ray", "tea"]);
  });

  it("treats separator-like look-alikes as separators, not letters", () => {
    // Box drawing and Devanagari danda look like l but are punctuation (see generator).
    expect(normaliseTokens("tea\u2502pot tea\u0964pot")).toEqual(["tea", "pot", "tea", "pot"]);
  });

  it("treats @ and $ as letters only inside words", () => {
    expect(normaliseTokens("te@pot $$$ @ m@rm@l@de")).toEqual(["teapot", "marmalade"]);
    expect(normaliseTokens("$100")).toEqual(["100"]);
  });

  it("keeps other scripts as letters", () => {
    expect(normaliseTokens("日本語 テスト")).toEqual(["日本語", "テスト"]);
    expect(normalise("عربي")).toBe(normalise(normalise("عربي")));
  });
});

describe("normalise: odd input never throws", () => {
  it("handles empty and separator-only strings", () => {
    expect(normaliseTokens("")).toEqual([]);
    expect(normaliseTokens("  \t\n.,;!?  ")).toEqual([]);
    expect(normaliseTokens("\u200B\u200D\uFE0F\u00AD")).toEqual([]);
  });

  it("replaces lone surrogates with a separator", () => {
    expect(normaliseTokens("\uD800tea\uDC00pot\uDBFF")).toEqual(["tea", "pot"]);
    expect(normaliseTokens("\uDFFF\uD800")).toEqual([]);
  });

  it("keeps astral letters whole", () => {
    expect(normaliseTokens("𝒕𝒆𝒂𝒑𝒐𝒕")).toEqual(["teapot"]);
    expect(normaliseTokens("𠀀 𠀁 𠀂")).toEqual(["𠀀𠀁𠀂"]);
  });

  it("handles 100k-character strings", () => {
    const long = "marmalade teapot ".repeat(6000);
    expect(normaliseTokens(long)).toHaveLength(12000);
    expect(normaliseTokens("a".repeat(100_000))).toEqual(["aa"]);
    expect(normaliseTokens("a ".repeat(50_000))).toEqual(["aa"]);
    expect(normaliseTokens("\u0301".repeat(100_000))).toEqual([]);
    expect(normaliseTokens("1".repeat(100_000))).toEqual(["1".repeat(100_000)]);
  });
});
