/**
 * Evasion-resistant text normalisation for term matching.
 *
 * Follows the order in the reference (directory-search-and-errors.md, "Term lists"):
 * compatibility decomposition, strip default-ignorable code points, strip combining marks,
 * case-fold and confusable folding (UTS #39 skeletons), leetspeak, collapse repeated letters,
 * and join runs of spaced-out single letters. The output is a list of word tokens; matching
 * happens on whole tokens only, which is what keeps "cat" from hitting "category".
 *
 * Pure: no I/O, no state. Never throws on any string, including lone surrogates.
 */
import { CONFUSABLE_SKELETONS } from "./confusables-table.js";

/**
 * Stands in for a letter that may be read as `i` or `l` (`1`, `|`-like look-alikes, capital
 * `I`, or `l` inside an all-caps word). An upper-case ASCII letter can never survive
 * case folding, so the marker cannot collide with real text and re-normalising keeps it.
 * UTS #39 draws the same class: its prototype `l` covers `I`, `1` and `|`.
 */
export const AMBIGUOUS_I_L = "I";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Zero-width characters, soft hyphen, variation selectors, bidi controls, Hangul fillers…
// all carry the Default_Ignorable_Code_Point property (UAX #44), so one class covers them.
const IGNORABLE_OR_MARK = /[\p{Default_Ignorable_Code_Point}\p{M}]/gu;
const NON_ASCII = /\P{ASCII}/u;
/** A word: letters and digits; `@` and `$` count because leetspeak uses them for a and s. */
const WORD_RUN = /[\p{L}\p{N}@$]+/gu;
const HAS_LETTER = /\p{L}/u;
const REPEATED_LETTER = /(\p{L})\1+/gu;
const LEET_CHARS = /[0134579@$]/g;
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": AMBIGUOUS_I_L,
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
};
/** Shortest run of one-letter words treated as a spaced-out word (`f o o`, `f.o.o`). */
const MIN_SPACED_RUN = 3;

/**
 * NFKD then drop default-ignorables and combining marks, then NFC. This equals the
 * reference's NFKC → strip ignorables → NFKD → drop \p{M} → recompose, because NFKC is
 * NFC∘NFKD and a second NFKD of an NFKD string is a no-op. Lone surrogates become U+FFFD
 * (a separator) so later steps see well-formed text.
 */
function cleanse(text: string): string {
  if (!NON_ASCII.test(text)) return text; // ASCII is invariant under every step here.
  return text
    .replace(LONE_SURROGATE, "\uFFFD")
    .normalize("NFKD")
    .replace(IGNORABLE_OR_MARK, "")
    .normalize("NFC");
}

/**
 * True when a word is written in capitals, so a lower-case `l` in it is most likely a
 * disguised capital `I` ("PlNEAPPLE"). Needs two capitals besides `I` so that normalised
 * output (lower case plus the `I` marker) never qualifies: that keeps normalise idempotent.
 */
function isAllCaps(raw: string): boolean {
  let upper = 0;
  for (const c of raw) {
    if (c === "I" || c === "l") continue;
    const lower = c.toLowerCase();
    if (lower !== c) upper++;
    else if (c.toUpperCase() !== c) return false; // a real lower-case letter
  }
  return upper >= 2;
}

/**
 * Full case folding, approximated with the built-in mappings: lower → upper → lower turns
 * ß and ẞ into "ss" and final sigma into σ, as Unicode CaseFolding.txt does.
 */
function caseFold(c: string): string {
  const folded = c.toLowerCase().toUpperCase().toLowerCase();
  return NON_ASCII.test(folded) ? cleanse(folded) : folded;
}

/**
 * Confusable folding of one non-ASCII character. UTS #39 prototypes are case-sensitive
 * (Greek capital Eta looks like H, its small form like n), so the character is looked up
 * as written first and only then case-folded — the reference's "case-fold, then fold
 * confusables" with that one refinement.
 */
function foldNonAscii(c: string): string {
  const skeleton = CONFUSABLE_SKELETONS.get(c);
  if (skeleton !== undefined) return skeleton;
  const folded = caseFold(c);
  if (folded === c) return c;
  let out = "";
  for (const d of folded) out += CONFUSABLE_SKELETONS.get(d) ?? d;
  return out;
}

/** Case and confusable folding of one raw word, keeping digits, `@` and `$` for leetspeak. */
function foldWord(raw: string): string {
  const capsL = raw.includes("l") && isAllCaps(raw);
  let out = "";
  for (const c of raw) {
    const code = c.charCodeAt(0);
    if (code >= 0x80) out += foldNonAscii(c);
    else if (c === "I" || (capsL && c === "l")) out += AMBIGUOUS_I_L;
    else if (code >= 65 && code <= 90) out += String.fromCharCode(code + 32);
    else out += c;
  }
  return out;
}

/**
 * Leetspeak and repeated-letter collapsing. A word without letters is a number and stays
 * as written ("2024", "13"), so numeric terms keep their meaning; only digits mixed with
 * letters are read as leetspeak. Repeats collapse to one letter ("pineapppple" and
 * "pineapple" both become "pineaple"); digits are not collapsed.
 */
function finishWord(folded: string): string {
  if (!HAS_LETTER.test(folded)) return folded.replace(/[@$]/g, "");
  return collapseRepeats(folded.replace(LEET_CHARS, (c) => LEET[c] ?? c));
}

/** Collapses runs of the same letter to one ("aa" → "a"); digits are left alone. */
export function collapseRepeats(token: string): string {
  return token.replace(REPEATED_LETTER, "$1");
}

const normaliseWord = (raw: string): string => finishWord(foldWord(raw));

const isSingle = (token: string): boolean =>
  token.length === 1 || (token.length === 2 && (token.codePointAt(0) ?? 0) > 0xffff);

/**
 * Normalises text into word tokens: lower-case Latin skeletons, numbers, other scripts'
 * letters, and the `I` marker for i/l ambiguity. See the module comment for the steps.
 *
 * Spaced-out words: a maximal run of three or more consecutive one-character words joins
 * into one word, whatever separates them ("f.o.o", "f o o", "f-o-o" → "fo"). Scoping it to
 * one-character words is what keeps ordinary phrases from merging; a whole run joins or
 * none of it does, so normalising the output again changes nothing.
 */
export function normaliseTokens(text: string): string[] {
  const raws = cleanse(text).match(WORD_RUN) ?? [];
  const words = raws.map(normaliseWord);
  const out: string[] = [];
  let i = 0;
  while (i < words.length) {
    const word = words[i] ?? "";
    if (!isSingle(word)) {
      if (word !== "") out.push(word);
      i++;
      continue;
    }
    // Gather the run of singles; words that normalised to nothing ("$") are transparent.
    const run: number[] = [];
    for (; i < words.length && (words[i] === "" || isSingle(words[i] ?? "")); i++) {
      if (words[i] !== "") run.push(i);
    }
    if (run.length >= MIN_SPACED_RUN) {
      // Re-normalise the joined raw text so leetspeak and all-caps see the whole word.
      out.push(normaliseWord(run.map((k) => raws[k] ?? "").join("")));
    } else {
      for (const k of run) out.push(words[k] ?? "");
    }
  }
  return out;
}

/**
 * Normalised text as one string: the tokens of {@link normaliseTokens} joined by single
 * spaces. Idempotent: `normalise(normalise(x)) === normalise(x)`.
 */
export function normalise(text: string): string {
  return normaliseTokens(text).join(" ");
}
