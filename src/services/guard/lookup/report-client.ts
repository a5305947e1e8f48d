/**
 * The guard's side of the report extension (docs/api.md, "Reports"): a moderator's
 * `!redlight escalate` files the room with the provider, and the guard later asks how the
 * report stands. Rare calls, so plain `fetch` rather than the lookup's kept-alive pool.
 */
import { err, ok, type Result } from "../../../core/result.js";
import {
  LJS4_PATHS,
  ljs4ErrorAnswer,
  reportAnswer,
  reportStatusAnswer,
  type ReportStatus,
} from "../../../protocol/ljs4.js";

/** Reports up to the provider. */
export interface ReportUplink {
  /** Files `room`; answers the provider's report reference. */
  file(room: string, reason: string): Promise<Result<string, string>>;
  /** How the report `ref` stands. */
  status(ref: string): Promise<Result<ReportStatus, string>>;
}

/** The uplink of a guard without a lookup service (`guard.lookup` left out): nobody to tell. */
export const NO_PROVIDER: ReportUplink = {
  file: () => Promise.resolve({ ok: false, error: "no lookup service is configured" }),
  status: () => Promise.resolve({ ok: false, error: "no lookup service is configured" }),
};

/**
 * A bearer-token JSON call to the provider (the guard's `matrixCaller` fits: it is the same
 * plain `fetch` with a timeout, bound to the lookup URL and token).
 */
export type ProviderCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<Result<{ readonly status: number; readonly body: unknown }, string>>;

/** The uplink over HTTP with the guard's lookup token. */
export class HttpReportUplink implements ReportUplink {
  constructor(private readonly call: ProviderCall) {}

  async file(room: string, reason: string): Promise<Result<string, string>> {
    const answer = await this.call("POST", LJS4_PATHS.report, { room_id: room, reason });
    if (!answer.ok) return answer;
    const decoded = reportAnswer.safeParse(answer.value.body);
    if (answer.value.status !== 202) return err(refusal(answer.value));
    return decoded.success ? ok(decoded.data.report_ref) : err("an answer without report_ref");
  }

  async status(ref: string): Promise<Result<ReportStatus, string>> {
    const answer = await this.call("GET", `${LJS4_PATHS.report}/${encodeURIComponent(ref)}`);
    if (!answer.ok) return answer;
    if (answer.value.status !== 200) return err(refusal(answer.value));
    const decoded = reportStatusAnswer.safeParse(answer.value.body);
    return decoded.success ? ok(decoded.data) : err("an answer without a state");
  }
}

function refusal(answer: { status: number; body: unknown }): string {
  const decoded = ljs4ErrorAnswer.safeParse(answer.body);
  return decoded.success
    ? `HTTP ${answer.status} ${decoded.data.error.errcode}`
    : `HTTP ${answer.status}`;
}
