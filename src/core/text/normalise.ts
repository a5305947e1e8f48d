/**
 * Evasion-resistant text normalisation for term matching.
 *
 * The order: compatibility decomposition (each character's expansion bounded), strip
 * default-ignorable code points (bidi controls among them) and combining marks, case-fold and
 * confusable folding (UTS #39 skeletons plus presentation forms), leetspeak, collapse repeated
 * letters, and join runs of spaced-out single letters. The output is a list of word tokens;
 * matching happens on whole tokens only, which is what keeps "cat" from hitting "category".
 *
 * Cost is linear in the text and small per character: one pass over code points, each
 * non-ASCII one decomposed once per call (memoised) and its expansion capped, so a character
 * like U+FDFA (an 18-character NFKC expansion) cannot multiply the work.
 *
 * Pure: no I/O, no state between calls. Never throws on any string, including lone
 * surrogates.
 */
import { CONFUSABLE_SKELETONS } from "./confusables-table.js";

/**
 * Stands in for a letter that may be read as `i` or `l` (`1`, `|`-like look-alikes, capital
 * `I`, or `l` inside an all-caps word). An upper-case ASCII letter can never survive
 * case folding, so the marker cannot collide with real text and re-normalising keeps it.
 * UTS #39 draws the same class: its prototype `l` covers `I`, `1` and `|`.
 */
export const AMBIGUOUS_I_L = "I";

// Zero-width characters, soft hyphen, variation selectors, bidi controls, Hangul fillers…
// all carry the Default_Ignorable_Code_Point property (UAX #44), so one class covers them.
const IGNORABLE_OR_MARK = /[\p{Default_Ignorable_Code_Point}\p{M}]/gu;
const NON_ASCII = /\P{ASCII}/u;
/** A word: letters and digits; `@` and `$` count because leetspeak uses them for a and s. */
const WORD_RUN = /[\p{L}\p{N}@$]+/gu;
const HAS_LETTER = /\p{L}/u;
const REPEATED_LETTER = /(\p{L})\1+/gu;
const LEET_CHARS = /[013456789@$]/g;
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": AMBIGUOUS_I_L,
  "3": "e",
  "4": "a",
  "5": "s",
  "6": "b",
  "7": "t",
  "8": "b",
  "9": "g",
  "@": "a",
  $: "s",
};
/**
 * Leetspeak written with more than one ASCII character, or with a symbol, read as the
 * letter it draws (`|<` for k, `()` for o, `€` for e). Multi-character forms are rewritten
 * anywhere (they are rare in ordinary text); the symbols only next to a letter (`|`, `!`
 * and `+` only between letters), so a price like "€ 5" or a "wow!" stays as it is.
 */
const LEET_SEQUENCES =
  /\(\)|\[\]|\|<|\|\)|\|3|\/\\|\\\/|(?<=\p{L})[|!+](?=\p{L})|(?<=\p{L})[€¥¢®]|[€¥¢®](?=\p{L})/gu;
const LEET_SEQUENCE: Readonly<Record<string, string>> = {
  "()": "o",
  "[]": "o",
  "|<": "k",
  "|)": "d",
  "|3": "b",
  "/\\": "a",
  "\\/": "v",
  "€": "e",
  "¥": "y",
  "¢": "c",
  "®": "r",
  "|": AMBIGUOUS_I_L,
  "!": AMBIGUOUS_I_L,
  "+": "t",
};
/** Longest decomposition kept for one character; longer ones (U+FDFA) become a separator. */
const MAX_EXPANSION = 4;
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;
const SEPARATOR_BEFORE = /\s/u;
/** Shortest run of one-letter words treated as a spaced-out word (`f o o`, `f.o.o`). */
const MIN_SPACED_RUN = 3;

/**
 * One non-ASCII code point: a presentation form that is a symbol (regional indicator,
 * negative squared letter) becomes its letter; anything else is NFKD-decomposed with
 * default-ignorables and combining marks dropped. An expansion longer than
 * {@link MAX_EXPANSION} becomes a space, and a lone surrogate U+FFFD (a separator).
 */
function cleanseChar(cp: number): string {
  if (cp >= 0xd800 && cp <= 0xdfff) return "\uFFFD";
  const c = String.fromCodePoint(cp);
  const symbolLetter = CONFUSABLE_SKELETONS.get(c);
  if (symbolLetter !== undefined && !LETTER_OR_NUMBER.test(c)) return symbolLetter;
  const d = c.normalize("NFKD").replace(IGNORABLE_OR_MARK, "");
  return d.length > MAX_EXPANSION ? " " : d;
}

/**
 * NFKD then drop default-ignorables and combining marks, then NFC — the reference's NFKC →
 * strip ignorables → NFKD → drop \p{M} → recompose, done one code point at a time so each
 * expansion can be bounded (and memoised within the call). Then multi-character leetspeak.
 */
function cleanse(text: string): string {
  if (!NON_ASCII.test(text)) return readLeetSequences(text); // ASCII: only leetspeak applies
  const memo = new Map<number, string>();
  const parts: string[] = [];
  let asciiFrom = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) ?? 0;
    if (cp < 0x80) {
      i++;
      continue;
    }
    if (asciiFrom < i) parts.push(text.slice(asciiFrom, i));
    let folded = memo.get(cp);
    if (folded === undefined) {
      folded = cleanseChar(cp);
      memo.set(cp, folded);
    }
    parts.push(folded);
    i += cp > 0xffff ? 2 : 1;
    asciiFrom = i;
  }
  if (asciiFrom < text.length) parts.push(text.slice(asciiFrom));
  return readLeetSequences(parts.join("").normalize("NFC"));
}

const LEET_SEQUENCE_START = /[()[\]|/\\€¥¢®!+]/;
const readLeetSequences = (text: string): string =>
  LEET_SEQUENCE_START.test(text)
    ? text.replace(LEET_SEQUENCES, (m) => LEET_SEQUENCE[m] ?? m)
    : text;

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
  const token = collapseRepeats(folded.replace(LEET_CHARS, (c) => LEET[c] ?? c));
  // A word of one repeated letter ("aa") stays two letters long, so it is never taken for
  // a spaced-out letter when normalised again (that keeps normalise idempotent).
  return isSingle(token) && !isSingle(folded) ? token + token : token;
}

/** Collapses runs of the same letter to one ("aa" → "a"); digits are left alone. */
export function collapseRepeats(token: string): string {
  // Most words have no doubled character: check that cheaply before running the regex
  // (which a surrogate, half of an astral letter, always runs).
  for (let i = 0; i < token.length; i++) {
    const unit = token.charCodeAt(i);
    if ((i > 0 && token[i] === token[i - 1]) || (unit >= 0xd800 && unit <= 0xdfff)) {
      return token.replace(REPEATED_LETTER, "$1");
    }
  }
  return token;
}

const normaliseWord = (raw: string): string => finishWord(foldWord(raw));

function isSingle(token: string): boolean {
  return token.length === 1 || (token.length === 2 && (token.codePointAt(0) ?? 0) > 0xffff);
}

/** One normalised word with what the matcher needs besides its token. */
export interface Word {
  /** The normalised token, as in {@link normaliseTokens}. */
  readonly token: string;
  /** The word without digits, `@` or `$` at its ends ("berry2024" → "bery"), if that differs. */
  readonly core?: string;
  /** True when only punctuation, no white space, separates it from the previous word. */
  readonly glued: boolean;
}

const EDGE_CHAR = /[\d@$]/;
/** The letters of a word with digits, `@` or `$` around them, when they are a word of their own. */
function coreOf(raw: string): string | undefined {
  if (!EDGE_CHAR.test(raw[0] ?? "") && !EDGE_CHAR.test(raw.at(-1) ?? "")) return undefined;
  let from = 0;
  let to = raw.length;
  while (from < to && EDGE_CHAR.test(raw[from] ?? "")) from++;
  while (to > from && EDGE_CHAR.test(raw[to - 1] ?? "")) to--;
  if (to - from === raw.length || to - from < 3) return undefined;
  const core = raw.slice(from, to);
  return HAS_LETTER.test(core) ? normaliseWord(core) : undefined;
}

function pushWord(out: Word[], token: string, raw: string, glued: boolean): void {
  const core = coreOf(raw);
  out.push(core === undefined || core === token ? { token, glued } : { token, core, glued });
}

/**
 * The words of a text, normalised (see {@link normaliseTokens}), each with its digit-less
 * core and whether it is glued to the previous word by punctuation ("tea-pot").
 */
export function normaliseWords(text: string): Word[] {
  const cleansed = cleanse(text);
  const raws: string[] = [];
  const glued: boolean[] = [];
  let end = 0;
  for (const m of cleansed.matchAll(WORD_RUN)) {
    const between = cleansed.slice(end, m.index);
    glued.push(raws.length > 0 && !SEPARATOR_BEFORE.test(between));
    raws.push(m[0]);
    end = m.index + m[0].length;
  }
  const words = raws.map(normaliseWord);
  const out: Word[] = [];
  let i = 0;
  while (i < words.length) {
    // A word of one repeated letter normalises to two letters ("aa"), so it is not taken
    // into a run of spaced-out letters beside it ("aa q u o k k a").
    if (!isSingle(words[i] ?? "")) {
      if (words[i] !== "") pushWord(out, words[i] ?? "", raws[i] ?? "", glued[i] ?? false);
      i++;
      continue;
    }
    // Gather the run of singles; words that normalised to nothing ("$") are transparent.
    const run: number[] = [];
    for (; i < words.length && (words[i] === "" || isSingle(words[i] ?? "")); i++) {
      if (words[i] !== "") run.push(i);
    }
    const first = run[0] ?? 0;
    if (run.length >= MIN_SPACED_RUN) {
      // Re-normalise the joined raw text so leetspeak and all-caps see the whole word.
      const raw = run.map((k) => raws[k] ?? "").join("");
      pushWord(out, normaliseWord(raw), raw, glued[first] ?? false);
    } else {
      for (const k of run) pushWord(out, words[k] ?? "", raws[k] ?? "", glued[k] ?? false);
    }
  }
  return out;
}

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
  return normaliseWords(text).map((w) => w.token);
}

/**
 * Normalised text as one string: the tokens of {@link normaliseTokens} joined by single
 * spaces. Idempotent: `normalise(normalise(x)) === normalise(x)`.
 */
export function normalise(text: string): string {
  return normaliseTokens(text).join(" ");
}
