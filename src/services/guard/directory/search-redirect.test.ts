import { describe, expect, it } from "vitest";
import { TermMatcher } from "../../../core/text/index.js";
import { MSC4176_MESSAGES } from "../messages.js";
import {
  MSC4387_ERRCODE,
  MSC4387_HARMS,
  SearchRedirector,
  safetyAnswer,
  searchTermOf,
} from "./search-redirect.js";

// Benign synthetic terms only.
const FRUIT = { en: "Synthetic help text.", fr: "Texte d'aide synthétique." };
const FALLBACK = { en: "No results." };
const redirector = new SearchRedirector({
  terms: new TermMatcher([
    {
      id: "fruit",
      harms: ["m.child_safety.csam"],
      terms: ["pineapple"],
      allow: ["pineapple express"],
    },
    { id: "veg", harms: [], terms: ["turnip"] },
  ]),
  listTexts: new Map([["fruit", FRUIT]]),
  fallbackTexts: FALLBACK,
  defaultLanguage: "en",
});

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
  it.each(EVASIONS)("redirects %j", (term) => {
    expect(redirector.check(term, "msc4228", undefined)?.listId).toBe("fruit");
  });

  // Synapse does not escape `_` and `%` in a directory search: its LIKE reads them as
  // wildcards, so these find rooms named with the term and are redirected too.
  it.each(["pinea__le", "pineap%", "%neapple", "pi_eapple", "find pine%le rooms"])(
    "redirects the LIKE pattern %j",
    (term) => {
      expect(redirector.check(term, "msc4228", undefined)?.listId).toBe("fruit");
    },
  );

  it.each(["pineapple express", "apple", "pine", "orchard", "p%", "%apple", "my_room", "100%"])(
    "lets %j through",
    (term) => {
      expect(redirector.check(term, "msc4228", undefined)).toBeUndefined();
    },
  );

  it("answers msc4228 as 403 M_FORBIDDEN with translations and harms under both keys", () => {
    const found = redirector.check("pineapple", "msc4228", "fr-FR, en;q=0.5");
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

  it("answers msc4387 as 400 ORG.MATRIX.MSC4387_SAFETY with a permanent expiry", () => {
    const found = redirector.check("p1neapple", "msc4387", undefined);
    expect(found?.answer.status).toBe(400);
    expect(found?.answer.body).toMatchObject({
      errcode: MSC4387_ERRCODE,
      error: FRUIT.en,
      expiry: null,
      harms: ["m.child_safety.csam"],
      [MSC4387_HARMS]: ["m.child_safety.csam"],
    });
  });

  it("uses guard.messages.search_redirected for a list without texts", () => {
    const found = redirector.check("turnip", "msc4387", "fr");
    expect(found?.answer.body).toMatchObject({ error: FALLBACK.en, harms: [] });
    expect(found?.listId).toBe("veg");
  });

  it("never puts the term into the answer", () => {
    const body = JSON.stringify(redirector.check("pineapple", "msc4228", undefined));
    expect(body).not.toContain("pineapple");
  });

  it("redirects nothing without term lists", () => {
    const none = new SearchRedirector({
      terms: undefined,
      listTexts: new Map(),
      fallbackTexts: FALLBACK,
      defaultLanguage: "en",
    });
    expect(none.check("pineapple", "msc4228", undefined)).toBeUndefined();
    expect(safetyAnswer("msc4228", FALLBACK, [], undefined, "en").body).toMatchObject({
      error: "No results.",
    });
  });

  it("reads the search term only where the spec puts it", () => {
    expect(searchTermOf({ filter: { generic_search_term: "x" } })).toBe("x");
    expect(searchTermOf({ filter: { generic_search_term: "" } })).toBeUndefined();
    expect(searchTermOf({ filter: { generic_search_term: 7 } })).toBeUndefined();
    expect(searchTermOf({ generic_search_term: "x" })).toBeUndefined();
    expect(searchTermOf(undefined)).toBeUndefined();
  });
});
