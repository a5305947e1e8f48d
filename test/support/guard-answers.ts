/**
 * What the guard's answers must look like, whatever was sent (docs/guard.md, "What users
 * see", "Fail modes", "Operations"; synapse-http-antispam's README and Synapse's spam-checker module API):
 *  - toward synapse-http-antispam: `200 {}`, a deliberate JSON refusal whose `error` is one
 *    of the operator's texts, the fail mode's answer, or a non-JSON 401 — never a 5xx,
 *    never a JSON body Synapse would take for a refusal the guard did not mean;
 *  - everywhere else: a documented success or a Matrix error `{errcode, error}` with a 4xx
 *    (502/504 only for a homeserver that does not answer); never internals.
 */
import type { GuardConfig } from "../../src/config/schema.js";

/** An answer as read off the wire. */
export interface WireAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
}

/** Words that betray internals: stack frames, paths, framework and driver codes. */
const INTERNALS =
  /(\bat [\w.<>]+ \(|node_modules|\/work\/|\/src\/|\.ts:\d|\.js:\d|\bFST_|\bERR_|\bHPE_|SQLITE|TypeError|ReferenceError|SyntaxError|RangeError|stack|undici|ECONNREFUSED|ECONNRESET)/i;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses a JSON answer, or undefined. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Problems common to every answer (empty: none). */
export function basicProblems(answer: WireAnswer, secrets: readonly string[]): string[] {
  const problems: string[] = [];
  if (answer.status === 0) problems.push("no answer");
  if (INTERNALS.test(answer.text)) problems.push(`internals: ${answer.text.slice(0, 200)}`);
  for (const secret of secrets)
    if (secret !== "" && answer.text.includes(secret)) problems.push("a secret in the answer");
  return problems;
}

/** A Matrix error `{errcode, error, …}` with one of `statuses`. */
export function matrixErrorProblems(answer: WireAnswer, statuses: readonly number[]): string[] {
  const problems: string[] = [];
  if (!statuses.includes(answer.status))
    problems.push(`status ${answer.status}, expected one of ${statuses.join("/")}`);
  if (!(answer.contentType ?? "").startsWith("application/json"))
    problems.push(`error content type ${answer.contentType}`);
  const body = jsonOf(answer.text);
  if (!isObject(body) || typeof body.errcode !== "string" || typeof body.error !== "string")
    problems.push(`not a Matrix error: ${answer.text.slice(0, 200)}`);
  else if (!/^[A-Z][A-Z0-9_.]+$/.test(body.errcode)) problems.push(`odd errcode ${body.errcode}`);
  return problems;
}

/** The kinds of refusal text each gated callback may answer with. */
export const CALLBACK_TEXTS: Readonly<Record<string, readonly string[]>> = {
  user_may_join_room: ["join_refused", "account_restricted", "rate_limited", "unavailable"],
  user_may_invite: ["invite_refused", "account_restricted", "rate_limited", "unavailable"],
  federated_user_may_invite: [
    "invite_refused",
    "account_restricted",
    "rate_limited",
    "unavailable",
  ],
  user_may_publish_room: ["publish_refused", "rate_limited", "unavailable"],
};

/** A deliberate answer of a gated callback: allow or one of its refusals. */
export function callbackProblems(
  answer: WireAnswer,
  callback: string,
  messages: GuardConfig["messages"],
): string[] {
  const body = jsonOf(answer.text);
  if (!(answer.contentType ?? "").startsWith("application/json"))
    return [`content type ${answer.contentType}`];
  if (answer.status === 200)
    return isObject(body) && Object.keys(body).length === 0 ? [] : ["200 without {}"];
  if (!isObject(body)) return [`refusal not a JSON object: ${answer.text.slice(0, 200)}`];
  const kind = (CALLBACK_TEXTS[callback] ?? []).find(
    (k) =>
      messages[k as keyof typeof messages] !== undefined &&
      textsOf(messages, k).includes(String(body.error)),
  );
  const problems: string[] = [];
  if (kind === undefined)
    problems.push(`error text not one of ${callback}'s: ${answer.text.slice(0, 200)}`);
  const limited = kind === "rate_limited";
  if (answer.status !== (limited ? 429 : 403)) problems.push(`status ${answer.status} for ${kind}`);
  if (body.errcode !== (limited ? "M_LIMIT_EXCEEDED" : "M_FORBIDDEN"))
    problems.push(`errcode ${String(body.errcode)} for ${kind}`);
  const keys = Object.keys(body).sort().join(",");
  const expected = limited
    ? "errcode,error,org.matrix.msc4176.messages,retry_after_ms"
    : "errcode,error,org.matrix.msc4176.messages";
  if (keys !== expected) problems.push(`fields ${keys}`);
  return problems;
}

function textsOf(messages: GuardConfig["messages"], kind: string): string[] {
  const texts = messages[kind as keyof typeof messages];
  return typeof texts === "object" ? Object.values(texts) : [];
}

/** The kind of a refusal (by its text), or "allow". */
export function verdictOf(answer: WireAnswer, messages: GuardConfig["messages"]): string {
  if (answer.status === 200) return "allow";
  const body = jsonOf(answer.text);
  const error = isObject(body) ? String(body.error) : "";
  for (const kind of Object.keys(messages))
    if (textsOf(messages, kind).includes(error)) return kind;
  return "?";
}

/** The non-JSON 401 for a wrong or missing callback secret. */
export function unauthorisedProblems(answer: WireAnswer): string[] {
  const problems: string[] = [];
  if (answer.status !== 401) problems.push(`status ${answer.status}, expected the 401`);
  if (!(answer.contentType ?? "").startsWith("text/plain"))
    problems.push(`401 content type ${answer.contentType}`);
  if (jsonOf(answer.text) !== undefined)
    problems.push("a JSON 401 (Synapse reads it as a refusal)");
  return problems;
}

/** Tallies answers by status, for the figures a test prints. */
export class StatusTally {
  readonly byStatus = new Map<number, number>();
  total = 0;
  add(status: number): void {
    this.total++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }
  toString(): string {
    const parts = [...this.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    return `${this.total} requests (${parts.join(", ")})`;
  }
}
