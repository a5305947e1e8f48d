/**
 * What Synapse is told: allow is `200 {}` (never 204, which Synapse treats as a failure);
 * a refusal is a JSON object `{errcode, error}`, which Synapse passes to the user (or the
 * inviting server) as a 403 with our errcode and text. The text is the operator's
 * (`guard.messages`), in the default language, with every translation attached as
 * MSC4176 `messages`. It says nothing about the list: no names, hashes, report ids, tags.
 */
import type { GuardConfig } from "../../../config/schema.js";
import type { MessageKind, Verdict } from "./verdict.js";

/** A status and JSON body for Synapse. */
export interface WireAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/** MSC4176's unstable field for translated error texts. */
export const MSC4176_MESSAGES = "org.matrix.msc4176.messages";

/** The allow answer. */
export const ALLOW: WireAnswer = Object.freeze({ status: 200, body: Object.freeze({}) });

/** Builds refusal bodies from `guard.messages`. */
export class RefusalMessages {
  constructor(private readonly config: GuardConfig["messages"]) {}

  /** The refusal body for a kind of message. */
  body(kind: MessageKind, retryAfterMs?: number): Record<string, unknown> {
    const texts = this.config[kind];
    const error = texts[this.config.default_language] ?? Object.values(texts)[0] ?? "Refused.";
    const body: Record<string, unknown> = {
      errcode: kind === "rate_limited" ? "M_LIMIT_EXCEEDED" : "M_FORBIDDEN",
      error,
      [MSC4176_MESSAGES]: { ...texts },
    };
    if (retryAfterMs !== undefined) body["retry_after_ms"] = retryAfterMs;
    return body;
  }

  /** The wire answer for a verdict. */
  answer(verdict: Verdict): WireAnswer {
    if (verdict.allow) return ALLOW;
    const status = verdict.message === "rate_limited" ? 429 : 403;
    return { status, body: this.body(verdict.message, verdict.retryAfterMs) };
  }
}
