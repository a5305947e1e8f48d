import { describe, expect, it } from "vitest";
import { TermMatcher } from "../../../core/text/index.js";
import { MSC4176_MESSAGES } from "../gates/messages.js";
import {
  MSC4387_ERRCODE,
  MSC4387_HARMS,
  SearchRedirector,
  safetyAnswer,
  searchTermOf,
  MAX_SEARCH_TERM_CHARS,
} from "./search-redirect.js";
import { InlineTextMatcher } from "./text-pool.js";

// Benign synthetic terms only.
const FRUIT = { en: "Synthetic help text.", fr: "Texte d'aide synthétique." };
const FALLBACK = { en: "No results." };
const inline = new SearchRedirector({
  texts: new InlineTextMatcher(
    new TermMatcher([
      {
        id: "fruit",
        harms: ["m.child_safety.csam"],
        terms: ["pineapple"],
        allow: ["pineapple express"],
      },
      { id: "veg", harms: [], terms: ["turnip"] },
    ]),
  ),
  listTexts: new Map([["fruit", FRUIT]]),
  fallbackTexts: FALLBACK,
  defaultLanguage: "en",
});
/** The redirector's answers, which in these tests are never a failure. */
const redirector = {
  async check(...args: Parameters<SearchRedirector["check"]>) {
    const checked = await inline.check(...args);
    if (!checked.ok) throw new Error(`check failed: ${checked.error}`);
    return checked.value;
  },
};

/** The synthetic term in every evasion form the issue names. */
const EVASIONS = [
  "pineapple",
  "ｐｉｎｅａｐｐｌｅ", // fullwidth
  "pine\u200bap\u200dple", // zero-width space and joiner
  "\u0440ine\u0430pple", // Cyrillic er and a
  "p1n3appl3", // leetspeak
  "p.i.n.e.a.p.p.l.e", // dotted
  "p i n e a p p l e", // spaced
  "PiNeApPlE", // mixed case
  "rooms about PINEAPPLE please",
];

describe("search redirection", () => {
  it.each(EVASIONS)("redirects %j", async (term) => {
    expect((await redirector.check(term, "msc4228", undefined))?.listId).toBe("fruit");
  });

  // Synapse does not escape `_` and `%` in a directory search: its LIKE reads them as
  // wildcards, so these find rooms named with the term and are redirected too.
  it.each(["pinea__le", "pineap%", "%neapple", "pi_eapple", "find pine%le rooms"])(
    "redirects the LIKE pattern %j",
    async (term) => {
      expect((await redirector.check(term, "msc4228", undefined))?.listId).toBe("fruit");
    },
  );

  it.each(["pineapple express", "apple", "pine", "orchard", "p%", "%apple", "my_room", "100%"])(
    "lets %j through",
    async (term) => {
      expect(await redirector.check(term, "msc4228", undefined)).toBeUndefined();
    },
  );

  it("answers msc4228 as 403 M_FORBIDDEN with translations and harms under both keys", async () => {
    const found = await redirector.check("pineapple", "msc4228", "fr-FR, en;q=0.5");
    expect(found?.answer).toEqual({
      status: 403,
      body: {
        errcode: "M_FORBIDDEN",
        error: FRUIT.fr,
        messages: FRUIT,
        [MSC4176_MESSAGES]: FRUIT,
        harms: ["m.child_safety.csam"],
        [MSC4387_HARMS]: ["m.child_safety.csam"],
      },
    });
  });

  it("answers msc4387 as 400 ORG.MATRIX.MSC4387_SAFETY with a permanent expiry", async () => {
    const found = await redirector.check("p1neapple", "msc4387", undefined);
    expect(found?.answer.status).toBe(400);
    expect(found?.answer.body).toMatchObject({
      errcode: MSC4387_ERRCODE,
      error: FRUIT.en,
      expiry: null,
      harms: ["m.child_safety.csam"],
      [MSC4387_HARMS]: ["m.child_safety.csam"],
    });
  });

  it("uses guard.messages.search_redirected for a list without texts", async () => {
    const found = await redirector.check("turnip", "msc4387", "fr");
    expect(found?.answer.body).toMatchObject({ error: FALLBACK.en, harms: [] });
    expect(found?.listId).toBe("veg");
  });

  it("never puts the term into the answer", async () => {
    const body = JSON.stringify(await redirector.check("pineapple", "msc4228", undefined));
    expect(body).not.toContain("pineapple");
  });

  it("redirects nothing without term lists", async () => {
    const none = new SearchRedirector({
      texts: undefined,
      listTexts: new Map(),
      fallbackTexts: FALLBACK,
      defaultLanguage: "en",
    });
    expect(await none.check("pineapple", "msc4228", undefined)).toEqual({
      ok: true,
      value: undefined,
    });
    expect(safetyAnswer("msc4228", FALLBACK, [], undefined, "en").body).toMatchObject({
      error: "No results.",
    });
  });

  it("reads the search term only where the spec puts it", async () => {
    expect(searchTermOf({ filter: { generic_search_term: "x" } })).toBe("x");
    expect(searchTermOf({ filter: { generic_search_term: "" } })).toBeUndefined();
    expect(searchTermOf({ filter: { generic_search_term: 7 } })).toBeUndefined();
    expect(searchTermOf({ generic_search_term: "x" })).toBeUndefined();
    expect(searchTermOf(undefined)).toBeUndefined();
  });
});

describe("search term length", () => {
  it("refuses a term over the limit before matching, counting code points", async () => {
    let matched = 0;
    const counting = new SearchRedirector({
      texts: {
        match: async (groups) => {
          matched++;
          return { ok: true, value: groups.map(() => ({ matched: false as const })) };
        },
      },
      listTexts: new Map(),
      fallbackTexts: FALLBACK,
      defaultLanguage: "en",
    });
    const at = await counting.check("🍍".repeat(MAX_SEARCH_TERM_CHARS), "msc4228", undefined);
    expect(at).toEqual({ ok: true, value: undefined });
    expect(matched).toBe(1);
    for (const term of ["a".repeat(MAX_SEARCH_TERM_CHARS + 1), "l1l1l1 ".repeat(9_362)]) {
      expect(await counting.check(term, "msc4228", undefined)).toEqual({
        ok: false,
        error: "too_long",
      });
    }
    expect(matched).toBe(1);
  });
});
