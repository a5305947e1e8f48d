/**
 * What the directory asks of its text matching, whichever thread runs it: groups of texts
 * (a search term alone, or one room's name, topic and alias), each answered with the first
 * match among its texts. Shared by the worker thread (text-worker.ts) and the same-thread
 * matcher, so both answer alike.
 */
import type { TermMatch, TermMatcher } from "../../../core/text/index.js";
import type { Result } from "../../../core/result.js";

/** One job sent to a text thread. */
export interface TextJob {
  readonly id: number;
  readonly groups: readonly (readonly string[])[];
  /** The texts are directory searches: also redirected when `_`/`%` could reach a term. */
  readonly search: boolean;
}

/** Its answer: one match per group, in order. */
export interface TextJobAnswer {
  readonly id: number;
  readonly matches: readonly TermMatch[];
}

/** Why a job was not run: the queue was full, or the thread failed. */
export type TextMatchFailure = "busy" | "failed";

/** Matches groups of texts against the term lists, off the caller's thread or on it. */
export interface DirectoryTextMatcher {
  /**
   * One match per group: the first text of the group that matches, else no match. With
   * `search`, a text whose `_` or `%` (the homeserver's `LIKE` wildcards) could reach a
   * term matches too.
   */
  match(
    groups: readonly (readonly string[])[],
    search?: boolean,
  ): Promise<Result<readonly TermMatch[], TextMatchFailure>>;
}

const NO_MATCH: TermMatch = Object.freeze({ matched: false });

/** Runs one job's groups through `matcher`. */
export function matchGroups(
  matcher: TermMatcher,
  groups: readonly (readonly string[])[],
  search = false,
): TermMatch[] {
  return groups.map((texts) => {
    for (const text of texts) {
      if (text === "") continue;
      const match = matcher.match(text);
      if (match.matched) return match;
      if (search) {
        const reach = matcher.searchCouldReach(text);
        if (reach.matched) return reach;
      }
    }
    return NO_MATCH;
  });
}
