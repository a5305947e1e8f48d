/**
 * Text matching for the guard: evasion-resistant normalisation and term-list matching of
 * room names, topics and room-directory search terms. Pure core, no I/O.
 *
 * ```ts
 * const matcher = new TermMatcher([
 *   { id: "fruit", harms: ["m.spam"], terms: ["pineapple"], allow: ["pineapple express"] },
 * ]);
 * matcher.match("P 1 N E A P P L E"); // { matched: true, listId: "fruit", harms: ["m.spam"] }
 * matcher.match("pineapplesauce");    // { matched: false } — whole words only
 * matcher.searchCouldReach("pinea%"); // matched: a LIKE pattern that finds the term's rooms
 * ```
 *
 * Term lists: operators load their own; none ship. For a list kept private, store
 * {@link hashTerm} digests instead of terms — keyed (HMAC) when the list is shared, since
 * unkeyed digests fall to a dictionary.
 *
 * @packageDocumentation
 */
export { AMBIGUOUS_I_L, normalise, normaliseTokens } from "./normalise.js";
export { termKeys, tokenReadings } from "./readings.js";
export {
  TermMatcher,
  hashTerm,
  type HashedTerms,
  type TermList,
  type TermMatch,
  type WorkMeter,
} from "./matcher.js";
