/**
 * Readings: the plain-letter spellings a normalised token may stand for.
 *
 * Normalisation keeps one ambiguity open on purpose: the `I` marker (see
 * {@link AMBIGUOUS_I_L}) is `i` or `l`. Rather than merge the two letters for good — which
 * would let "lick" match "ick" once repeats collapse — each marker is expanded here into
 * both letters and the result collapsed again, and a term matches if any reading does.
 */
import { AMBIGUOUS_I_L, collapseRepeats, normaliseTokens } from "./normalise.js";

/** Markers per token expanded one by one (2^6 = 64 readings); more get the two uniform readings. */
const MAX_EXPANDED_MARKERS = 6;
/** Upper bound on readings of a multi-word phrase, so odd input cannot blow up. */
export const MAX_PHRASE_READINGS = 64;

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
 * These exact strings, UTF-8 encoded, are what a hashed list hashes (see `hashTerm`).
 * Returns an empty array for a term with no letters or digits.
 */
export function termKeys(term: string): string[] {
  const keys = new Set<string>();
  for (const form of [term, term.toLowerCase(), term.toUpperCase()]) {
    for (const key of phraseReadings(normaliseTokens(form).map(tokenReadings))) keys.add(key);
  }
  return [...keys];
}
