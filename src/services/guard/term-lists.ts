/**
 * Loads the operator's term lists (`guard.terms`) into the evasion-resistant TermMatcher
 * of `src/core/text`. One matcher serves invites, publishing, the room directory and the
 * text check. No terms ship with Redlight (reference, "Term lists"). A list can be kept
 * as SHA-256 digests (`format: sha256`, made with `hashTerm`), so the terms need not sit
 * on the guard's disk in clear.
 */
import { readFileSync } from "node:fs";
import { termListId, type TermListConfig } from "../../config/directory-schema.js";
import { TermMatcher, type TermList } from "../../core/text/index.js";

/** The non-empty, non-comment lines of a file. */
export function readLines(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(
      `cannot read term list file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** One configured list as the matcher takes it. */
export function termList(config: TermListConfig): TermList {
  const lines = readLines(config.file);
  const allow = config.allow_file === undefined ? undefined : readLines(config.allow_file);
  const base = {
    id: termListId(config),
    harms: config.harms,
    ...(allow === undefined ? {} : { allow }),
  };
  if (config.format === "plain") return { ...base, terms: lines };
  return { ...base, hashedTerms: { sha256: lines, maxWords: config.max_words } };
}

/** The matcher for every configured list, or undefined when there are none. */
export function loadTermMatcher(lists: readonly TermListConfig[]): TermMatcher | undefined {
  return termMatcherOf(lists.map(termList));
}

/** The matcher for lists already read (see {@link termList}), or undefined for none. */
export function termMatcherOf(lists: readonly TermList[]): TermMatcher | undefined {
  if (lists.length === 0) return undefined;
  try {
    return new TermMatcher(lists);
  } catch (e) {
    throw new Error(`guard.terms: ${(e as Error).message}`);
  }
}
