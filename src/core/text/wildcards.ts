/**
 * Room directory searches as SQL `LIKE` patterns. Synapse searches the directory with
 * `LIKE '%' || term || '%'` over room names, topics and aliases without escaping the term,
 * so `_` stands for any one character and `%` for any run of them: "quo__aberry" and
 * "quokka%" find rooms named "quokkaberry" although neither spells the term.
 *
 * A pattern word (a white-space separated word with a wildcard) reaches a term when its
 * literal pieces, normalised, occur in the term's key in order and cover more than half of
 * it (and three letters), so "q%" or "%a%" reach nothing.
 */
import { AMBIGUOUS_I_L, normalise } from "./normalise.js";

const WILDCARD = /[_%]/;
const WILDCARDS = /[_%]+/;
/** Pattern words looked at per search, and the longest pattern word looked at. */
const MAX_PATTERN_WORDS = 16;
const MAX_PATTERN_LENGTH = 256;
/** Letters tried for each `_` when filling a pattern in (hashed lists only). */
const FILL = "abcdefghijklmnopqrstuvwxyz";
/** Filled-in variants per search, at most (a `__` pair alone is 26² of them). */
const MAX_FILLED = 1024;
const MIN_COVER = 3;

/** One pattern word: its normalised literal pieces, and variants with wildcards filled in. */
export interface PatternWord {
  readonly pieces: readonly string[];
  /** For hashed lists: `_` replaced by each letter (one or two `_`), `%` dropped. */
  readonly filled: readonly string[];
  /** Characters read (for a work meter). */
  readonly units: number;
}

/** The pattern words of a search (none without `_` or `%`). */
export function wildcardWords(search: string, fill: boolean): PatternWord[] {
  const out: PatternWord[] = [];
  let budget = MAX_FILLED;
  for (const word of search.split(/\s+/)) {
    if (!WILDCARD.test(word) || word.length > MAX_PATTERN_LENGTH) continue;
    if (out.length >= MAX_PATTERN_WORDS) break;
    const pieces = word
      .split(WILDCARDS)
      .map((piece) => normalise(piece).replaceAll(" ", ""))
      .filter((piece) => piece !== "");
    const filled = fill ? fillIn(word, budget) : [];
    budget -= filled.length;
    out.push({ pieces, filled, units: word.length });
  }
  return out;
}

function fillIn(word: string, budget: number): string[] {
  const dropped = word.replace(/%+/g, "");
  const blanks = dropped.split("_").length - 1;
  if (blanks === 0) return [dropped];
  if (blanks > 2 || FILL.length ** blanks > budget) return [dropped.replaceAll("_", "")];
  let variants = [dropped];
  for (let k = 0; k < blanks; k++) {
    variants = variants.flatMap((v) => Array.from(FILL, (c) => v.replace("_", c)));
  }
  return [dropped.replaceAll("_", ""), ...variants];
}

/** Whether pattern pieces, from some piece on, occur in order in `key` covering enough. */
export function reachesKey(pieces: readonly string[], key: string): boolean {
  const need = Math.max(MIN_COVER, Math.floor(key.length / 2) + 1);
  for (let first = 0; first < pieces.length; first++) {
    let at = 0;
    let covered = 0;
    for (let k = first; k < pieces.length; k++) {
      const piece = pieces[k] ?? "";
      const found = indexOfReading(key, piece, at);
      if (found < 0) break;
      covered += piece.length;
      at = found + piece.length;
      if (covered >= need) return true;
    }
  }
  return false;
}

/** `key.indexOf(piece, from)`, where the i/l marker in `piece` matches `i` or `l`. */
function indexOfReading(key: string, piece: string, from: number): number {
  if (!piece.includes(AMBIGUOUS_I_L)) return key.indexOf(piece, from);
  outer: for (let i = from; i + piece.length <= key.length; i++) {
    for (let k = 0; k < piece.length; k++) {
      const p = piece[k];
      const c = key[i + k];
      if (p !== c && !(p === AMBIGUOUS_I_L && (c === "i" || c === "l"))) continue outer;
    }
    return i;
  }
  return -1;
}
