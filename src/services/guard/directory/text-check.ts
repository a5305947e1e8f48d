/**
 * The term check as the policy server's text check (`POST /_policyserv/v1/check/text`):
 * what Synapse's proposed `safety_policy` setting (open pull request #19658) calls with a
 * directory search term as the raw UTF-8 body. `200 {}` lets the search run; a match is
 * `400 ORG.MATRIX.MSC4387_SAFETY` with the list's help text and harms, which Synapse
 * relays to the user. Always MSC4387's shape: that is what such a Synapse expects.
 */
import type { GuardMetrics } from "../metrics/guard-metrics.js";
import type { WireAnswer } from "../gates/messages.js";
import {
  MAX_SEARCH_TERM_CHARS,
  type SearchCheckFailure,
  type SearchRedirector,
} from "./search-redirect.js";

/** The path Synapse calls, below the configured base URL. */
export const TEXT_CHECK_PATH = "/_policyserv/v1/check/text";

const FINE: WireAnswer = Object.freeze({ status: 200, body: Object.freeze({}) });

/** Answers text checks. */
export class TextCheck {
  constructor(
    private readonly redirector: SearchRedirector,
    private readonly metrics: GuardMetrics,
  ) {}

  /**
   * The answer for one text (already decoded from the body). Matched off this thread (the
   * callback listener's), so a costly text never delays a callback.
   */
  async answer(text: string, acceptLanguage: string | undefined): Promise<WireAnswer> {
    if (text.trim() === "") return FINE;
    const checked = await this.redirector.check(text, "msc4387", acceptLanguage);
    if (!checked.ok) return searchRefusal(checked.error);
    const found = checked.value;
    if (found === undefined) return FINE;
    for (const harm of found.harms.length > 0 ? found.harms : ["none"]) {
      this.metrics.searchesRedirected.inc({ list: found.listId, harm, surface: "text_check" });
    }
    return found.answer;
  }
}

/**
 * The answer to a search term that was not checked: too long (400 M_INVALID_PARAM), or the
 * matcher threads were busy or failed (503 M_UNKNOWN). Either way the search does not run.
 */
export function searchRefusal(failure: SearchCheckFailure): WireAnswer {
  return failure === "too_long"
    ? {
        status: 400,
        body: {
          errcode: "M_INVALID_PARAM",
          error: `The search term is longer than ${MAX_SEARCH_TERM_CHARS} characters.`,
        },
      }
    : {
        status: 503,
        body: { errcode: "M_UNKNOWN", error: "The search cannot be checked right now; try again." },
      };
}
