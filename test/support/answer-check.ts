/**
 * What every answer of the lookup service must look like, whatever was sent: a documented
 * success of the endpoint, or an error in the LJS-4 shape whose status matches the errcode's
 * row in docs/errors.md — never a 5xx (but /ready's documented 503), never internals.
 */
import { readFileSync } from "node:fs";
import { ERROR_CATALOGUE } from "../../src/core/errors.js";

/** An answer as read off the wire. */
export interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** The statuses docs/errors.md gives each errcode (the `status` column, e.g. `404 / 405`). */
export function documentedStatuses(): ReadonlyMap<string, readonly number[]> {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const out = new Map<string, number[]>();
  for (const m of doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*([\d\s/]+?)\s*\|/gm)) {
    out.set(
      m[1] as string,
      (m[2] as string).split("/").map((s) => Number(s.trim())),
    );
  }
  return out;
}

const STATUSES = documentedStatuses();

/** Words that betray internals: stack frames, file paths, framework and driver codes. */
const INTERNALS =
  /(\bat [\w.<>]+ \(|node_modules|\/work\/|\/src\/|\.ts:\d|\.js:\d|\bFST_|\bERR_|\bHPE_|SQLITE|\bpg_|postgres|TypeError|ReferenceError|SyntaxError|RangeError|stack)/i;

/** A surface's documented successes: answers an error message when the answer is not one. */
export type SuccessCheck = (status: number, body: unknown, answer: Answer) => string | undefined;

const json = (answer: Answer): unknown => JSON.parse(answer.body.toString("utf8"));
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const keys = (v: Record<string, unknown>) => Object.keys(v).sort().join(",");

/** Successes by surface name. */
export const SUCCESSES: Readonly<Record<string, SuccessCheck>> = {
  abuse_lookup: (status, body, answer) => {
    if (status === 204) return answer.body.length === 0 ? undefined : "204 with a body";
    if (status !== 200 || !isObject(body)) return "not a documented lookup answer";
    const ok =
      body.error === null &&
      typeof body.report_id === "string" &&
      Array.isArray(body.tags) &&
      (body.frozen === undefined || body.frozen === true) &&
      ["error,report_id,tags", "error,frozen,report_id,tags"].includes(keys(body));
    return ok ? undefined : "malformed lookup match";
  },
  unfreeze: (status, body) =>
    status === 200 &&
    isObject(body) &&
    body.error === null &&
    typeof body.unfrozen === "boolean" &&
    keys(body) === "error,unfrozen"
      ? undefined
      : "malformed unfreeze answer",
  check: (status, body) =>
    status === 200 &&
    isObject(body) &&
    body.error === null &&
    isObject(body.listed) &&
    Object.values(body.listed).every((v) => isObject(v) && typeof v.report_id === "string")
      ? undefined
      : "malformed check answer",
  health: (status, body) =>
    status === 200 && (body === undefined || (isObject(body) && body.status === "ok"))
      ? undefined
      : "malformed health answer",
  ready: (status, body) =>
    (status === 200 || status === 503) &&
    (body === undefined || (isObject(body) && keys(body) === "database_reachable,list_loaded"))
      ? undefined
      : "malformed ready answer",
  metrics: (status, _body, answer) =>
    status === 200 && (answer.contentType ?? "").startsWith("text/plain")
      ? undefined
      : "malformed metrics answer",
  reload: (status, body) =>
    status === 200 && isObject(body) && typeof body.entries === "number"
      ? undefined
      : "malformed reload answer",
};

/**
 * Checks one answer. `head` answers carry no body; `surface` is undefined for paths that
 * are not ours (only errors are expected there). Answers the problems found (empty: fine).
 */
export function problemsOf(answer: Answer, surface: string | undefined, head: boolean): string[] {
  const problems: string[] = [];
  const text = answer.body.toString("utf8");
  if (INTERNALS.test(text)) problems.push(`internals in the body: ${text.slice(0, 200)}`);
  const isError = answer.status >= 400 && !(surface === "ready" && answer.status === 503);
  if (answer.status >= 500 && isError) problems.push(`server error ${answer.status}`);
  if (answer.status < 200 || answer.status >= 600) problems.push(`no answer (${answer.status})`);
  if (!isError) {
    const check = surface === undefined ? undefined : SUCCESSES[surface];
    if (check === undefined) return [...problems, `success ${answer.status} on a foreign path`];
    let body: unknown;
    if (!head && answer.status !== 204 && surface !== "metrics") {
      try {
        body = json(answer);
      } catch {
        return [...problems, `success body is not JSON: ${text.slice(0, 100)}`];
      }
    }
    const bad = check(answer.status, body, answer);
    return bad === undefined ? problems : [...problems, `${bad}: ${text.slice(0, 200)}`];
  }
  if (head) return problems; // HEAD: status only
  if (!(answer.contentType ?? "").startsWith("application/json")) {
    problems.push(`error without a JSON content type (${answer.contentType})`);
  }
  let body: unknown;
  try {
    body = json(answer);
  } catch {
    return [...problems, `error body is not JSON: ${text.slice(0, 100)}`];
  }
  if (!isObject(body) || keys(body) !== "error,report_id" || body.report_id !== null) {
    return [...problems, `error not in the LJS-4 shape: ${text.slice(0, 200)}`];
  }
  const error = body.error;
  if (!isObject(error) || typeof error.errcode !== "string" || typeof error.error !== "string") {
    return [...problems, `error object malformed: ${text.slice(0, 200)}`];
  }
  if (!(error.errcode in ERROR_CATALOGUE)) problems.push(`undocumented errcode ${error.errcode}`);
  const statuses = STATUSES.get(error.errcode) ?? [];
  if (!statuses.includes(answer.status)) {
    problems.push(
      `${error.errcode} with status ${answer.status} (documented: ${statuses.join(" / ")})`,
    );
  }
  const extra = Object.keys(error).filter(
    (k) => !["errcode", "error", "retry_after_ms"].includes(k),
  );
  if (extra.length > 0) problems.push(`unexpected error fields ${extra.join(", ")}`);
  if ((error.retry_after_ms !== undefined) !== (error.errcode === "M_LIMIT_EXCEEDED")) {
    problems.push("retry_after_ms without M_LIMIT_EXCEEDED, or the reverse");
  }
  return problems;
}

/** Tallies answers by status, for the figures a test prints. */
export class Tally {
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
