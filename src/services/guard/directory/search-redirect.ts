/**
 * Search redirection (MSC4228, MSC4387): a room directory search whose term matches an
 * operator's term list is answered with help instead of rooms. The answer carries the
 * list's help text in the searcher's language as `error`, every translation as MSC4176
 * `messages` (stable and unstable key), and the list's MSC4456 harms as `harms` and
 * `org.matrix.msc4387.harms` (matrix-js-sdk reads the first, policyserv sends the second).
 *
 * Two styles, because both proposals are open: `msc4228` answers 403 M_FORBIDDEN, which
 * every client shows; `msc4387` answers 400 ORG.MATRIX.MSC4387_SAFETY with `expiry: null`
 * (permanent), what Synapse's proposed `safety_policy` relays. MSC4228 itself asks unstable
 * implementations to hold back its 403, hence the configurable style.
 */
import { err, ok, type Result } from "../../../core/result.js";
import type { TermMatch } from "../../../core/text/index.js";
import { MSC4176_MESSAGES, type WireAnswer } from "../gates/messages.js";
import { pickLanguage } from "./language.js";
import type { DirectoryTextMatcher, TextMatchFailure } from "./text-job.js";

/**
 * The longest search term checked, in characters (Unicode code points) after JSON
 * decoding. Synapse sets no limit, but no one types a 256-character room search, and
 * matching cost grows with the text: a longer term is refused before any matching
 * (docs/directory.md, "Limits").
 */
export const MAX_SEARCH_TERM_CHARS = 256;

/** Whether `term` has more than {@link MAX_SEARCH_TERM_CHARS} code points (stops early). */
export function searchTermTooLong(term: string): boolean {
  if (term.length <= MAX_SEARCH_TERM_CHARS) return false;
  let count = 0;
  for (const _ of term) if (++count > MAX_SEARCH_TERM_CHARS) return true;
  return false;
}

/** Why a search term was not checked: too long, or the matcher threads could not take it. */
export type SearchCheckFailure = "too_long" | TextMatchFailure;

/** How a redirected search is answered. */
export type SafetyStyle = "msc4228" | "msc4387";

/** MSC4387's unstable errcode and harms field. */
export const MSC4387_ERRCODE = "ORG.MATRIX.MSC4387_SAFETY";
export const MSC4387_HARMS = "org.matrix.msc4387.harms";

/** Texts by language tag. */
export type Texts = Readonly<Record<string, string>>;

/** The safety error body of one style. */
export function safetyAnswer(
  style: SafetyStyle,
  texts: Texts,
  harms: readonly string[],
  acceptLanguage: string | undefined,
  defaultLanguage: string,
): WireAnswer {
  const error = texts[pickLanguage(texts, acceptLanguage, defaultLanguage)] ?? "";
  const common = {
    error,
    messages: { ...texts },
    [MSC4176_MESSAGES]: { ...texts },
    harms: [...harms],
    [MSC4387_HARMS]: [...harms],
  };
  return style === "msc4228"
    ? { status: 403, body: { errcode: "M_FORBIDDEN", ...common } }
    : { status: 400, body: { errcode: MSC4387_ERRCODE, ...common, expiry: null } };
}

/** A search that is redirected: the answer, and the list and harms for metrics. */
export interface Redirect {
  readonly answer: WireAnswer;
  readonly listId: string;
  readonly harms: readonly string[];
}

/** What the redirector needs. */
export interface SearchRedirectorDeps {
  /** Undefined when no term lists are configured: nothing is redirected. */
  readonly texts: DirectoryTextMatcher | undefined;
  /** Each list's own help texts, by list id. */
  readonly listTexts: ReadonlyMap<string, Texts>;
  /** `guard.messages.search_redirected`, for lists without their own. */
  readonly fallbackTexts: Texts;
  readonly defaultLanguage: string;
}

/** Decides whether a search term is answered with help instead of rooms. */
export class SearchRedirector {
  constructor(private readonly deps: SearchRedirectorDeps) {}

  /**
   * The redirect for `term`, or undefined when the search may run; a failure when the term
   * is too long or could not be matched now (the caller refuses the search). A search that
   * names a term is redirected, and so is one whose `_` or `%` would let the homeserver's
   * `LIKE` search reach rooms named with a term ("quo__aberry", "quokka%").
   */
  async check(
    term: string,
    style: SafetyStyle,
    acceptLanguage: string | undefined,
  ): Promise<Result<Redirect | undefined, SearchCheckFailure>> {
    if (searchTermTooLong(term)) return err("too_long");
    if (this.deps.texts === undefined) return ok(undefined);
    const matched = await this.deps.texts.match([[term]], true);
    if (!matched.ok) return matched;
    const match = matched.value[0];
    return ok(match === undefined ? undefined : this.redirectFor(match, style, acceptLanguage));
  }

  /** The redirect a match calls for, or undefined for no match. */
  redirectFor(
    match: TermMatch,
    style: SafetyStyle,
    acceptLanguage: string | undefined,
  ): Redirect | undefined {
    if (!match.matched) return undefined;
    const texts = this.deps.listTexts.get(match.listId) ?? this.deps.fallbackTexts;
    return {
      answer: safetyAnswer(style, texts, match.harms, acceptLanguage, this.deps.defaultLanguage),
      listId: match.listId,
      harms: match.harms,
    };
  }
}

/** `filter.generic_search_term` of a publicRooms POST body, if it is a non-empty string. */
export function searchTermOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const filter = (body as Record<string, unknown>)["filter"];
  if (typeof filter !== "object" || filter === null) return undefined;
  const term = (filter as Record<string, unknown>)["generic_search_term"];
  return typeof term === "string" && term !== "" ? term : undefined;
}
