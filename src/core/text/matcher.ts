/**
 * TermMatcher: checks text (room names, topics, directory search terms) against operator
 * term lists, after evasion-resistant normalisation (normalise.ts).
 *
 * Matching is on whole tokens: a term of n words matches n consecutive normalised tokens
 * exactly, so "cat" never matches "category" (the Scunthorpe problem). Plain terms sit in
 * a map keyed by their first token, so a lookup costs one map probe per token reading, not
 * a loop over terms. Hashed terms (SHA-256 of the term key, see {@link hashTerm}) are
 * matched by hashing every token n-gram up to the list's `maxWords` words.
 *
 * A result never carries the term that matched: callers must not be able to log it.
 */
import { hash } from "node:crypto";
import { normaliseTokens } from "./normalise.js";
import { MAX_PHRASE_READINGS, termKeys, tokenReadings } from "./readings.js";

/** Terms of a private list, stored as digests so the list need not be kept in clear. */
export interface HashedTerms {
  /** Lower-case hex SHA-256 digests, one per term key: produce them with {@link hashTerm}. */
  readonly sha256: readonly string[];
  /** Longest term in words; text is hashed in n-grams up to this length (1–16). */
  readonly maxWords: number;
}

/** One operator term list. */
export interface TermList {
  /** Stable id, returned on a match (never the term itself). */
  readonly id: string;
  /** MSC4456 harm ids for a match on this list, e.g. `m.child_safety.csam`. */
  readonly harms: readonly string[];
  /** Terms in clear; each may be several words. Normalised when the matcher is built. */
  readonly terms?: readonly string[];
  /** Terms as digests. */
  readonly hashedTerms?: HashedTerms;
  /** Phrases that excuse a match of this list lying entirely inside them. */
  readonly allow?: readonly string[];
  /** Allow-list phrases as digests (an allow-list can reveal a private term list). */
  readonly hashedAllow?: HashedTerms;
}

/** Outcome of {@link TermMatcher.match}. Deliberately without the matched term. */
export type TermMatch =
  | { readonly matched: false }
  | { readonly matched: true; readonly listId: string; readonly harms: readonly string[] };

/**
 * The SHA-256 digests (lower-case hex) to store for one term in a hashed list. The hash
 * input is each key from {@link termKeys}: the term normalised as written, lower-cased
 * and upper-cased, each `I` marker resolved to `i` or `l`, tokens joined by one U+0020
 * space, UTF-8 encoded. A term usually yields one to three digests; store all of them.
 */
export function hashTerm(term: string): string[] {
  return termKeys(term).map(sha256Hex);
}

const sha256Hex = (s: string): string => hash("sha256", s, "hex");

const NO_MATCH: TermMatch = Object.freeze({ matched: false });
const DIGEST = /^[0-9a-f]{64}$/;
const MAX_HASHED_WORDS = 16;

/** Where a stored phrase came from: which list, and whether it is a term or an allowance. */
interface Source {
  readonly list: number;
  readonly allow: boolean;
}
interface PlainEntry extends Source {
  /** Tokens after the first, which is the map key. */
  readonly rest: readonly string[];
}
interface Hit extends Source {
  readonly start: number;
  readonly end: number;
}

/** Matches text against term lists; build once, then call {@link match} per text. */
export class TermMatcher {
  readonly #lists: readonly { readonly id: string; readonly harms: readonly string[] }[];
  readonly #plain = new Map<string, PlainEntry[]>();
  readonly #hashed = new Map<string, Source[]>();
  readonly #hashedWords: number;
  /** Number of terms and allow phrases that normalised to nothing and were skipped. */
  readonly skippedTerms: number;

  /**
   * Builds the matcher. Lists are in priority order: when several match, the earliest wins.
   * Throws on malformed input (duplicate list id, bad digest, bad `maxWords`), which the
   * config layer should already have rejected.
   */
  constructor(lists: readonly TermList[]) {
    const ids = new Set<string>();
    let skipped = 0;
    let hashedWords = 0;
    this.#lists = lists.map((list, index) => {
      if (ids.has(list.id)) throw new RangeError(`duplicate term list id: ${list.id}`);
      ids.add(list.id);
      for (const [phrases, allow] of [
        [list.terms ?? [], false],
        [list.allow ?? [], true],
      ] as const) {
        for (const phrase of phrases) {
          const keys = termKeys(phrase);
          if (keys.length === 0) skipped++;
          for (const key of keys) this.#addPlain(key.split(" "), { list: index, allow });
        }
      }
      for (const [hashed, allow] of [
        [list.hashedTerms, false],
        [list.hashedAllow, true],
      ] as const) {
        if (hashed === undefined) continue;
        hashedWords = Math.max(
          hashedWords,
          this.#addHashed(list.id, hashed, { list: index, allow }),
        );
      }
      return { id: list.id, harms: Object.freeze([...list.harms]) };
    });
    this.#hashedWords = hashedWords;
    this.skippedTerms = skipped;
  }

  #addPlain(tokens: readonly string[], source: Source): void {
    const [first, ...rest] = tokens;
    if (first === undefined) return;
    const entries = this.#plain.get(first) ?? [];
    entries.push({ ...source, rest });
    this.#plain.set(first, entries);
  }

  #addHashed(listId: string, hashed: HashedTerms, source: Source): number {
    const { maxWords } = hashed;
    if (!Number.isInteger(maxWords) || maxWords < 1 || maxWords > MAX_HASHED_WORDS) {
      throw new RangeError(`term list ${listId}: maxWords must be an integer 1–16`);
    }
    for (const raw of hashed.sha256) {
      const digest = raw.toLowerCase();
      if (!DIGEST.test(digest)) throw new RangeError(`term list ${listId}: malformed digest`);
      const sources = this.#hashed.get(digest) ?? [];
      sources.push(source);
      this.#hashed.set(digest, sources);
    }
    return maxWords;
  }

  /**
   * Checks one text. Returns the highest-priority list with a term occurrence that no
   * allow-list phrase of the same list contains. Never throws; cost is linear in the text.
   */
  match(text: string): TermMatch {
    const tokens = normaliseTokens(text);
    if (tokens.length === 0) return NO_MATCH;
    const readings = tokens.map(tokenReadings);
    const hits: Hit[] = [];
    this.#findPlain(readings, hits);
    if (this.#hashedWords > 0) this.#findHashed(readings, hits);
    return this.#decide(hits, tokens.length);
  }

  #findPlain(readings: readonly (readonly string[])[], hits: Hit[]): void {
    for (const [start, options] of readings.entries()) {
      for (const reading of options) {
        for (const entry of this.#plain.get(reading) ?? []) {
          const end = start + 1 + entry.rest.length;
          if (end > readings.length) continue;
          if (entry.rest.every((token, k) => readings[start + 1 + k]?.includes(token))) {
            hits.push({ list: entry.list, allow: entry.allow, start, end });
          }
        }
      }
    }
  }

  /** Hashes every n-gram (n ≤ maxWords) in every reading; builds n-grams incrementally. */
  #findHashed(readings: readonly (readonly string[])[], hits: Hit[]): void {
    for (let start = 0; start < readings.length; start++) {
      let phrases: string[] = [];
      const last = Math.min(readings.length, start + this.#hashedWords);
      for (let end = start + 1; end <= last; end++) {
        const options = readings[end - 1] ?? [];
        const next: string[] = [];
        for (const r of options) {
          if (end === start + 1) next.push(r);
          else for (const prefix of phrases) next.push(`${prefix} ${r}`);
        }
        next.length = Math.min(next.length, MAX_PHRASE_READINGS);
        phrases = next;
        for (const phrase of phrases) {
          for (const source of this.#hashed.get(sha256Hex(phrase)) ?? []) {
            hits.push({ ...source, start, end });
          }
        }
      }
    }
  }

  /**
   * Picks the earliest list with an unexcused term hit. An allow hit [a, b) excuses a term
   * hit [s, e) of the same list when a ≤ s and e ≤ b; a prefix maximum of allow ends per
   * start position answers that in O(1), so adversarial text cannot make this quadratic.
   */
  #decide(hits: readonly Hit[], tokenCount: number): TermMatch {
    const allowEnds = new Map<number, Int32Array>();
    for (const hit of hits) {
      if (!hit.allow) continue;
      const ends = allowEnds.get(hit.list) ?? new Int32Array(tokenCount);
      ends[hit.start] = Math.max(ends[hit.start] ?? 0, hit.end);
      allowEnds.set(hit.list, ends);
    }
    for (const ends of allowEnds.values()) {
      for (let i = 1; i < ends.length; i++) ends[i] = Math.max(ends[i] ?? 0, ends[i - 1] ?? 0);
    }
    let best: number | undefined;
    for (const hit of hits) {
      if (hit.allow || (best !== undefined && hit.list >= best)) continue;
      const coveredTo = allowEnds.get(hit.list)?.[hit.start] ?? 0;
      if (coveredTo < hit.end) best = hit.list;
    }
    const list = best === undefined ? undefined : this.#lists[best];
    return list === undefined ? NO_MATCH : { matched: true, listId: list.id, harms: list.harms };
  }
}
