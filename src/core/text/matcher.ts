/**
 * TermMatcher: checks text (room names, topics, directory search terms) against operator
 * term lists, after evasion-resistant normalisation (normalise.ts).
 *
 * Matching is on whole tokens: a term of n words matches n consecutive normalised tokens
 * exactly, so "cat" never matches "category" (the Scunthorpe problem). Plain terms sit in
 * a map keyed by their first token, so a lookup costs one map probe per token reading, not
 * a loop over terms. Hashed terms (SHA-256 or HMAC-SHA-256 of the term key, see
 * {@link hashTerm}) are matched by hashing token n-grams up to the list's `maxWords` words.
 *
 * Besides each word's own readings (i/l, its digit-less core, its singular, its sound-alike
 * form), a text offers joined words as one-word candidates: words glued by punctuation
 * ("quokka.berry"), each pair of neighbours ("quokka berry"), and runs of one- and two-letter
 * pieces ("qu ok ka"). Text under a right-to-left override or isolate is also read reversed.
 *
 * Cost is linear in the text: every word has a bounded number of readings, every start
 * position a bounded number of phrases (each at most `maxWords` words). An optional {@link WorkMeter} counts the work, so tests can check that bound
 * without a clock.
 *
 * A result never carries the term that matched: callers must not be able to log it.
 */
import { hash } from "node:crypto";
import { normaliseWords, type Word } from "./normalise.js";
import { keyedHasher, type KeyedHasher } from "./keyed-hash.js";
import { reachesKey, wildcardWords } from "./wildcards.js";
import { MAX_WORD_READINGS, phonetic, singular, termKeys, tokenReadings } from "./readings.js";

/** Terms of a private list, stored as digests so the list need not be kept in clear. */
export interface HashedTerms {
  /** Lower-case hex digests, one per term key: produce them with {@link hashTerm}. */
  readonly sha256: readonly string[];
  /** Longest term in words; text is hashed in n-grams up to this length (1–16). */
  readonly maxWords: number;
  /**
   * HMAC-SHA-256 key: the digests are `HMAC(key, term key)`. Without it they are plain
   * SHA-256, which anyone can reverse with a dictionary of candidate words.
   */
  readonly key?: Uint8Array;
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

/** Counts the work of a match in abstract units (characters read, probes, bytes hashed). */
export interface WorkMeter {
  units: number;
}

/**
 * The digests (lower-case hex) to store for one term in a hashed list: SHA-256, or
 * HMAC-SHA-256 under `key`, of each key from {@link termKeys} — the term normalised as
 * written, lower-cased and upper-cased, each `I` marker resolved to `i` or `l`, tokens joined
 * by one U+0020 space, then the sound-alike and run-together forms; UTF-8 encoded. Store
 * all of them.
 */
export function hashTerm(term: string, key?: Uint8Array): string[] {
  const keys = termKeys(term);
  if (key === undefined) return keys.map((k) => hash("sha256", k, "hex"));
  const hasher = keyedHasher(key);
  return keys.map((k) => hasher.digest(k).toString("hex"));
}

const NO_MATCH: TermMatch = Object.freeze({ matched: false });
const DIGEST = /^[0-9a-f]{64}$/;
const MAX_HASHED_WORDS = 16;
/** Phrases hashed per start position and length: bounds the work on ambiguous text. */
const MAX_HASHED_PHRASES = 4;
/** Right-to-left embedding, override and isolate controls (UAX #9). */
const RTL_CONTROL = /[\u202B\u202E\u2067\u2068]/;
const RTL_SPAN = /[\u202B\u202E\u2067\u2068][^\u202C\u2069\n]*/gu;
/** A run of pieces this short, three or more, is also read joined ("qu ok ka"). */
const SHORT_PIECE = 2;

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
/** Hashed lists sharing one key (or none): digests as binary strings. */
interface HashedGroup {
  readonly hasher: KeyedHasher | undefined;
  readonly digests: Map<string, Source[]>;
  maxWords: number;
}
/** A word sequence read as one word. */
interface Joined {
  readonly start: number;
  readonly end: number;
  readonly readings: readonly string[];
}

/** Matches text against term lists; build once, then call {@link match} per text. */
export class TermMatcher {
  readonly #lists: readonly { readonly id: string; readonly harms: readonly string[] }[];
  readonly #plain = new Map<string, PlainEntry[]>();
  /** Plain term keys written together, for {@link searchCouldReach}. */
  readonly #reachKeys: { readonly list: number; readonly key: string }[] = [];
  readonly #hashed: HashedGroup[] = [];
  /** Proper prefixes of one-word plain keys: neighbours are joined only after one of them. */
  readonly #prefixes = new Set<string>();
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
          if (!allow) this.#addReach(index, keys);
        }
      }
      for (const [hashed, allow] of [
        [list.hashedTerms, false],
        [list.hashedAllow, true],
      ] as const) {
        if (hashed !== undefined) this.#addHashed(list.id, hashed, { list: index, allow });
      }
      return { id: list.id, harms: Object.freeze([...list.harms]) };
    });
    this.skippedTerms = skipped;
  }

  #addPlain(tokens: readonly string[], source: Source): void {
    const [first, ...rest] = tokens;
    if (first === undefined) return;
    if (rest.length === 0)
      for (let k = 1; k < first.length; k++) this.#prefixes.add(first.slice(0, k));
    const entries = this.#plain.get(first) ?? [];
    entries.push({ ...source, rest });
    this.#plain.set(first, entries);
  }

  #addReach(list: number, keys: readonly string[]): void {
    const seen = new Set<string>();
    for (const key of keys) {
      const together = key.replaceAll(" ", "");
      if (seen.has(together)) continue;
      seen.add(together);
      this.#reachKeys.push({ list, key: together });
    }
  }

  #addHashed(listId: string, hashed: HashedTerms, source: Source): void {
    const { maxWords, key } = hashed;
    if (!Number.isInteger(maxWords) || maxWords < 1 || maxWords > MAX_HASHED_WORDS) {
      throw new RangeError(`term list ${listId}: maxWords must be an integer 1–16`);
    }
    let group = this.#hashed.find((g) =>
      key === undefined ? g.hasher === undefined : g.hasher?.sameKey(key) === true,
    );
    if (group === undefined) {
      group = {
        hasher: key === undefined ? undefined : keyedHasher(key),
        digests: new Map(),
        maxWords,
      };
      this.#hashed.push(group);
    }
    group.maxWords = Math.max(group.maxWords, maxWords);
    for (const raw of hashed.sha256) {
      const digest = raw.toLowerCase();
      if (!DIGEST.test(digest)) throw new RangeError(`term list ${listId}: malformed digest`);
      const binary = Buffer.from(digest, "hex").toString("latin1");
      const sources = group.digests.get(binary) ?? [];
      sources.push(source);
      group.digests.set(binary, sources);
    }
  }

  /**
   * Checks one text. Returns the highest-priority list with a term occurrence that no
   * allow-list phrase of the same list contains. Never throws; cost is linear in the text.
   */
  match(text: string, meter?: WorkMeter): TermMatch {
    const direct = this.#matchText(text, meter);
    if (!RTL_CONTROL.test(text)) return direct;
    // Under a right-to-left override the letters show in reverse order: read that too.
    const reversed = this.#matchText(
      text.replace(RTL_SPAN, (span) => Array.from(span).reverse().join("")),
      meter,
    );
    return this.#earlier(direct, reversed);
  }

  /**
   * Whether a room directory search could find rooms named with a listed term because the
   * homeserver reads `_` and `%` in it as SQL `LIKE` wildcards (Synapse does not escape them
   * in `generic_search_term`): "quo__aberry" and "quokka%" reach "quokkaberry". A search
   * without wildcards reaches nothing here ({@link match} covers it). Plain lists are checked
   * fully; hashed lists only for searches whose wildcards stand for one or two letters.
   */
  searchCouldReach(search: string, meter?: WorkMeter): TermMatch {
    let best: TermMatch = NO_MATCH;
    for (const pattern of wildcardWords(search, this.#hashed.length > 0)) {
      if (meter !== undefined) meter.units += pattern.units;
      for (const { list, key } of this.#reachKeys) {
        if (meter !== undefined) meter.units += key.length;
        if (reachesKey(pattern.pieces, key)) best = this.#earlier(best, this.#result(list));
      }
      for (const variant of pattern.filled) best = this.#earlier(best, this.match(variant, meter));
    }
    return best;
  }

  #result(list: number): TermMatch {
    const found = this.#lists[list];
    return found === undefined ? NO_MATCH : { matched: true, listId: found.id, harms: found.harms };
  }

  #earlier(a: TermMatch, b: TermMatch): TermMatch {
    if (!a.matched) return b;
    if (!b.matched) return a;
    const index = (m: TermMatch & { matched: true }) =>
      this.#lists.findIndex((l) => l.id === m.listId);
    return index(b) < index(a) ? b : a;
  }

  #matchText(text: string, meter: WorkMeter | undefined): TermMatch {
    const words = normaliseWords(text);
    if (meter !== undefined) meter.units += text.length;
    if (words.length === 0) return NO_MATCH;
    const plain = words.map(wordReadings);
    const sounds = plain.map(soundReadings);
    const joined = joinedWords(
      words,
      plain,
      sounds,
      this.#hashed.length > 0 ? undefined : this.#prefixes,
    );
    if (meter !== undefined) {
      for (const r of [...plain, ...sounds, ...joined.map((j) => j.readings)]) {
        for (const reading of r) meter.units += reading.length + 1;
      }
    }
    const hits: Hit[] = [];
    // Plain keys include their sound-alike forms: one pass over both readings of each word.
    this.#findPlain(
      plain.map((p, i) => (sounds[i] === p ? p : unique([...p, ...(sounds[i] ?? [])]))),
      hits,
      meter,
    );
    const changed = this.#hashed.length === 0 ? [] : sounds.map((r, i) => r !== plain[i]);
    for (const group of this.#hashed) {
      this.#findHashed(group, plain, hits, meter);
      // Sound-alike readings of single words only: phrases would double the hashing.
      if (changed.includes(true)) this.#findHashed(group, sounds, hits, meter, changed, 1);
    }
    this.#findJoined(joined, hits, meter);
    return this.#decide(hits, words.length);
  }

  #findPlain(readings: readonly (readonly string[])[], hits: Hit[], meter?: WorkMeter): void {
    for (const [start, options] of readings.entries()) {
      for (const reading of options) {
        const entries = this.#plain.get(reading);
        if (meter !== undefined) meter.units += 1 + (entries?.length ?? 0);
        for (const entry of entries ?? []) {
          const end = start + 1 + entry.rest.length;
          if (end > readings.length) continue;
          if (entry.rest.every((token, k) => readings[start + 1 + k]?.includes(token))) {
            hits.push({ list: entry.list, allow: entry.allow, start, end });
          }
        }
      }
    }
  }

  /** Joined words are one-word candidates: single-token plain keys and hashed 1-grams. */
  #findJoined(joined: readonly Joined[], hits: Hit[], meter?: WorkMeter): void {
    for (const { start, end, readings } of joined) {
      for (const reading of readings) {
        for (const entry of this.#plain.get(reading) ?? []) {
          if (entry.rest.length === 0)
            hits.push({ list: entry.list, allow: entry.allow, start, end });
        }
        if (meter !== undefined) meter.units += 1;
        for (const group of this.#hashed) {
          const digest = digestOf(group, reading, meter);
          for (const source of group.digests.get(digest) ?? [])
            hits.push({ ...source, start, end });
        }
      }
    }
  }

  /**
   * Hashes n-grams (n ≤ maxWords) over the readings, at most {@link MAX_HASHED_PHRASES} per
   * start and length. With `only`, just the n-grams that hold at least one position it marks
   * (the sound-alike pass skips phrases the plain pass already hashed); `maxWords` can
   * shorten the n-grams further.
   */
  #findHashed(
    group: HashedGroup,
    readings: readonly (readonly string[])[],
    hits: Hit[],
    meter?: WorkMeter,
    only?: readonly boolean[],
    maxWords = group.maxWords,
  ): void {
    for (let start = 0; start < readings.length; start++) {
      let phrases: string[] = [""];
      let marked = false;
      const last = Math.min(readings.length, start + maxWords);
      for (let end = start + 1; end <= last; end++) {
        const next: string[] = [];
        const options = readings[end - 1] ?? [];
        const limit = end === start + 1 ? MAX_WORD_READINGS : MAX_HASHED_PHRASES;
        for (const prefix of phrases) {
          for (const r of options) {
            if (next.length >= limit) break;
            next.push(end === start + 1 ? r : `${prefix} ${r}`);
          }
        }
        phrases = next;
        marked ||= only?.[end - 1] ?? true;
        if (!marked) continue;
        for (const phrase of phrases) {
          for (const source of group.digests.get(digestOf(group, phrase, meter)) ?? []) {
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
    return best === undefined ? NO_MATCH : this.#result(best);
  }
}

/** The digest (binary string) of a phrase, keyed when the group has a key. */
function digestOf(group: HashedGroup, phrase: string, meter: WorkMeter | undefined): string {
  if (meter !== undefined) meter.units += 64 + phrase.length;
  return group.hasher === undefined
    ? hash("sha256", phrase, "buffer").toString("latin1")
    : group.hasher.digest(phrase).toString("latin1");
}

const unique = (items: readonly string[]): string[] => [...new Set(items)];

/** A word's sound-alike readings; the same array when none differs. */
function soundReadings(readings: readonly string[]): readonly string[] {
  let out: string[] | undefined;
  for (const [i, r] of readings.entries()) {
    const sound = phonetic(r);
    if (sound !== r) (out ??= readings.slice(0, i)).push(sound);
    else out?.push(r);
  }
  return out === undefined ? readings : unique(out);
}

/** A word's readings: its i/l readings, its digit-less core's, and their singulars. */
function wordReadings(word: Word): string[] {
  if (word.core === undefined && !word.token.includes("I")) {
    const one = singular(word.token);
    return one === word.token ? [one] : [word.token, one];
  }
  const out = new Set<string>();
  for (const token of word.core === undefined ? [word.token] : [word.token, word.core]) {
    for (const r of tokenReadings(token)) {
      if (out.size >= MAX_WORD_READINGS) break;
      out.add(r).add(singular(r));
    }
  }
  return [...out].slice(0, MAX_WORD_READINGS);
}

/** Two readings written together; a letter doubled across the seam collapses. */
const seam = (a: string, b: string): string => (a.at(-1) === b[0] ? a + b.slice(1) : a + b);

/**
 * Word sequences read as one word: each pair of neighbours (from their first readings;
 * with `prefixes`, only pairs whose first word starts a one-word key), each run of three or
 * more words glued by punctuation, and each run of three or more short pieces. Every word is
 * in at most four, so the joined text is linear in the text.
 */
function joinedWords(
  words: readonly Word[],
  plain: readonly (readonly string[])[],
  sounds: readonly (readonly string[])[],
  prefixes: ReadonlySet<string> | undefined,
): Joined[] {
  const out: Joined[] = [];
  for (let i = 0; i + 1 < words.length; i++) {
    if (prefixes !== undefined && !startsKey(plain[i], prefixes) && !startsKey(sounds[i], prefixes))
      continue;
    const readings = new Set<string>();
    for (const side of [plain, sounds]) {
      for (const a of (side[i] ?? []).slice(0, 2)) {
        for (const b of (side[i + 1] ?? []).slice(0, 2)) readings.add(seam(a, b));
      }
    }
    out.push({ start: i, end: i + 2, readings: [...readings] });
  }
  // Runs of three or more: words glued by punctuation, and short pieces.
  for (const short of [false, true]) {
    for (let i = 0; i < words.length;) {
      let j = i + 1;
      while (j < words.length && inRun(words[j], short, false)) j++;
      if (j - i >= 3 && inRun(words[i], short, true)) out.push(joinRun(words, i, j));
      i = j;
    }
  }
  return out;
}

function startsKey(readings: readonly string[] | undefined, prefixes: ReadonlySet<string>) {
  return readings?.some((r) => prefixes.has(r)) === true;
}

/** Whether a word continues (or, `first`, starts) a run of glued words or short pieces. */
function inRun(word: Word | undefined, short: boolean, first: boolean): boolean {
  if (word === undefined) return false;
  return short ? word.token.length <= SHORT_PIECE : first || word.glued;
}

/** Words [start, end) as one word, with its readings, singulars and sound-alikes. */
function joinRun(words: readonly Word[], start: number, end: number): Joined {
  const token = words
    .slice(start, end)
    .map((w) => w.token)
    .join("");
  const readings = new Set<string>();
  for (const r of tokenReadings(token)) readings.add(r).add(singular(r));
  for (const r of [...readings]) readings.add(phonetic(r));
  return { start, end, readings: [...readings].slice(0, MAX_WORD_READINGS) };
}
