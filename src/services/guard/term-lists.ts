/**
 * Loads the operator's term lists (`guard.terms`) into the evasion-resistant TermMatcher
 * of `src/core/text`. One matcher serves invites, publishing, the room directory and the
 * text check. No terms ship with Redlight. A list can be kept as digests made with
 * `hashTerm` (`redlight guard hash-terms`), so the terms need not sit on the guard's disk in
 * clear: `format: sha256` (unkeyed, so reversible by anyone who hashes a dictionary) or
 * `format: hmac-sha256` with a `key_file` kept apart from the list.
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
  const key = config.key_file === undefined ? undefined : readTermKey(config.key_file);
  return {
    ...base,
    hashedTerms: {
      sha256: lines,
      maxWords: config.max_words,
      ...(key === undefined ? {} : { key }),
    },
  };
}

/** Shortest HMAC key accepted, in bytes. */
const MIN_KEY_BYTES = 16;

/** An HMAC key file: its bytes without a trailing newline. Never logs the key. */
export function readTermKey(path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(
      `cannot read term list key file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  if (end < MIN_KEY_BYTES) {
    throw new Error(`term list key file ${path}: at least ${MIN_KEY_BYTES} bytes are needed`);
  }
  return bytes.subarray(0, end);
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
