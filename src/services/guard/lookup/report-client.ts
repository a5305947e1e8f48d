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

/** The uplink over HTTP with the guard's lookup token. */
export class HttpReportUplink implements ReportUplink {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    this.base = baseUrl.replace(/\/+$/, "");
  }

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

  private async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Result<{ status: number; body: unknown }, string>> {
    try {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return ok({ status: response.status, body: json });
    } catch (e) {
      return err((e as Error).name === "TimeoutError" ? "timeout" : "unreachable");
    }
  }
}

function refusal(answer: { status: number; body: unknown }): string {
  const decoded = ljs4ErrorAnswer.safeParse(answer.body);
  return decoded.success
    ? `HTTP ${answer.status} ${decoded.data.error.errcode}`
    : `HTTP ${answer.status}`;
}
