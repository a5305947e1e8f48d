/**
 * Readings: the plain-letter spellings a normalised token may stand for.
 *
 * Normalisation keeps one ambiguity open on purpose: the `I` marker (see
 * {@link AMBIGUOUS_I_L}) is `i` or `l`. Rather than merge the two letters for good — which
 * would let "lick" match "ick" once repeats collapse — each marker is expanded here into
 * both letters and the result collapsed again, and a term matches if any reading does.
 */
import { AMBIGUOUS_I_L, collapseRepeats, normaliseTokens } from "./normalise.js";

/** Markers per token expanded one by one (2^2 = 4 readings); more get the two uniform readings. */
const MAX_EXPANDED_MARKERS = 2;
/** Upper bound on readings of a multi-word phrase, so odd input cannot blow up. */
export const MAX_PHRASE_READINGS = 64;
/** Upper bound on the readings of one word of a text (i/l, digit-less core, singular). */
export const MAX_WORD_READINGS = 16;

/** The readings of one normalised token; a token without markers is its only reading. */
export function tokenReadings(token: string): string[] {
  if (!token.includes(AMBIGUOUS_I_L)) return [token];
  const parts = token.split(AMBIGUOUS_I_L);
  const markers = parts.length - 1;
  const out = new Set<string>();
  if (markers > MAX_EXPANDED_MARKERS) {
    out.add(collapseRepeats(parts.join("i")));
    out.add(collapseRepeats(parts.join("l")));
    return [...out];
  }
  for (let mask = 0; mask < 1 << markers; mask++) {
    let s = parts[0] ?? "";
    for (let k = 1; k <= markers; k++) s += (mask & (1 << (k - 1)) ? "l" : "i") + (parts[k] ?? "");
    out.add(collapseRepeats(s));
  }
  return [...out];
}

/** Single letters that sound like another spelling. */
const SOUND: Readonly<Record<string, string>> = { q: "k", x: "ks", z: "s", y: "i" };

/**
 * Sound-alike spellings folded together, so "kwokaberi" and "quokkaberry" meet: `ph` → `f`,
 * `qu`/`qw`/`kw` → `ku`, `q` → `k`, `ck` → `k`, soft `c` → `s`, hard `c` → `k`, `x` → `ks`,
 * `z` → `s`, `y` → `i`, a final `ie`/`ey` → `i`; then repeats collapse. Applied to list terms
 * and to text alike (an extra key and an extra reading), never instead of the plain form.
 */
export function phonetic(reading: string): string {
  let out = "";
  const n = reading.length;
  for (let i = 0; i < n; i++) {
    const c = reading[i] ?? "";
    const next = reading[i + 1] ?? "";
    const atEnd = i + 2 >= n || reading[i + 2] === " ";
    let pair: string | undefined; // a two-letter spelling, read as one sound
    if (c === "p" && next === "h") pair = "f";
    else if ((c === "q" || c === "k") && (next === "u" || next === "w")) pair = "ku";
    else if (c === "c" && next === "k") pair = "k";
    else if (((c === "i" && next === "e") || (c === "e" && next === "y")) && atEnd) pair = "i";
    if (pair !== undefined) {
      out += pair;
      i++;
    } else if (c === "c") out += next === "e" || next === "i" || next === "y" ? "s" : "k";
    else out += SOUND[c] ?? c;
  }
  return out === reading ? reading : collapseRepeats(out);
}

/**
 * The singular of an English plural, or the word itself: `-ies` → `-y`, `-es` after a
 * sibilant, a final `-s` (words of four letters or more, so "bus" and "yes" stay).
 * A text reading only: a listed word then also matches its plural.
 */
export function singular(reading: string): string {
  if (reading.length < 4 || !reading.endsWith("s")) return reading;
  if (reading.endsWith("ies") && reading.length >= 5) return `${reading.slice(0, -3)}y`;
  if (/(?:[sxz]|ch|sh)es$/.test(reading)) return reading.slice(0, -2);
  if (/(?:us|is)$/.test(reading)) return reading;
  return reading.slice(0, -1);
}

/**
 * Readings of a phrase given each token's readings: the cartesian product, each joined with
 * one space, cut off at {@link MAX_PHRASE_READINGS}.
 */
export function phraseReadings(perToken: readonly (readonly string[])[]): string[] {
  let acc: string[] = [""];
  for (const [i, readings] of perToken.entries()) {
    const next: string[] = [];
    for (const prefix of acc) {
      for (const r of readings) {
        if (next.length >= MAX_PHRASE_READINGS) break;
        next.push(i === 0 ? r : `${prefix} ${r}`);
      }
    }
    acc = next;
  }
  return perToken.length === 0 ? [] : acc;
}

/**
 * The keys a list term (or allow-list phrase) is stored under: every reading of the term
 * normalised as written, in lower case and in upper case, each as tokens joined by one
 * U+0020 space. Three case forms because UTS #39 look-alikes depend on case (Greek `Η`
 * folds to "h", `η` to "n"), so a term should match text in either case.
 *
 * Then, for each: its {@link phonetic} form, and for a term of several words the words
 * written together ("marmalade jar" → "marmaladejar", caught in "marmalade-jar"). The
 * plain keys come first; lists hashed before the extra keys existed still match them.
 *
 * These exact strings, UTF-8 encoded, are what a hashed list hashes (see `hashTerm`).
 * Returns an empty array for a term with no letters or digits.
 */
export function termKeys(term: string): string[] {
  const keys = new Set<string>();
  for (const form of [term, term.toLowerCase(), term.toUpperCase()]) {
    for (const key of phraseReadings(normaliseTokens(form).map(tokenReadings))) keys.add(key);
  }
  const extra = new Set<string>();
  for (const key of keys) {
    extra.add(phonetic(key));
    if (!key.includes(" ")) continue;
    const joined = collapseRepeats(key.replaceAll(" ", ""));
    extra.add(joined).add(phonetic(joined));
  }
  return [...keys, ...[...extra].filter((k) => !keys.has(k))];
}
