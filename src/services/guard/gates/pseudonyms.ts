/**
 * Keyed user pseudonyms (docs/guard.md, "Keyed pseudonyms"), remembered for the users
 * seen lately: the same few users join, re-join and change profiles in bursts (Synapse
 * calls `user_may_join_room` once per joined room on a profile change), and each HMAC
 * costs more than a map lookup. Bounded by two generations: when the young one is full it
 * becomes the old one and the old one is dropped; a user found in the old generation moves
 * to the young one. No per-hit reordering, at most `maxEntries` pseudonyms kept.
 */
import { keyedUserPseudonym } from "../../../core/hash.js";
import type { Ljs4Hash, UserId } from "../../../core/ids.js";

/** Default number of pseudonyms kept. */
export const PSEUDONYM_CACHE_ENTRIES = 10_000;

/** The pseudonym function of the guard, with a small bounded cache in front of the HMAC. */
export function cachedPseudonyms(
  secret: string,
  maxEntries: number = PSEUDONYM_CACHE_ENTRIES,
): (user: UserId) => Ljs4Hash {
  const generation = Math.floor(maxEntries / 2);
  if (generation < 1) return (user) => keyedUserPseudonym(secret, user);
  let young = new Map<UserId, Ljs4Hash>();
  let old = new Map<UserId, Ljs4Hash>();
  return (user) => {
    const known = young.get(user);
    if (known !== undefined) return known;
    const pseudonym = old.get(user) ?? keyedUserPseudonym(secret, user);
    if (young.size >= generation) {
      old = young;
      young = new Map();
    }
    young.set(user, pseudonym);
    return pseudonym;
  };
}
