/**
 * Rooms reported up by client homeservers (Redlight extension `POST report`, docs/reports.md):
 * a client with the `report` scope files a room with a reason, within its own quota, and
 * later asks how its report stands. Room ids and reasons are as secret as the list: they
 * are sealed with the list key before they reach storage and never logged.
 */
import { randomBytes } from "node:crypto";
import { apiError, type ApiError } from "../../core/errors.js";
import type { SlidingWindowLimiter } from "../../core/rate-limit.js";
import { err, ok, type Result } from "../../core/result.js";
import { seal } from "../../list/reports-list.js";
import type { Logger } from "../../observability/logger.js";
import type { ReportRequest, ReportStatus } from "../../protocol/ljs4.js";
import type { Storage } from "../../storage/storage.js";
import type { ActiveClient } from "./client-registry.js";

/** The scope a client needs to report rooms. */
export const REPORT_SCOPE = "report";

/** What the queue uses. */
export interface ReportQueueDeps {
  readonly storage: Storage;
  /** The list key; undefined when `lookup.reports` is not configured (reports refused). */
  readonly key: Buffer | undefined;
  readonly limiter: SlidingWindowLimiter;
  readonly logger: Logger;
  readonly now: () => number;
}

/** A fresh report reference: `rr_` and 128 random bits. */
export function newReportRef(): string {
  return `rr_${randomBytes(16).toString("base64url")}`;
}

/** The provider's side of reports. */
export class ReportQueue {
  constructor(private readonly deps: ReportQueueDeps) {}

  /** Files a report for `client`; answers its reference. */
  async file(client: ActiveClient, request: ReportRequest): Promise<Result<string, ApiError>> {
    const { storage, key, limiter, logger, now } = this.deps;
    const allowed = this.mayReport(client);
    if (!allowed.ok) return allowed;
    if (key === undefined)
      return err(apiError(404, "M_UNRECOGNIZED", "this provider does not take reports"));
    const at = now();
    const quota = limiter.consume(client.name, at);
    if (!quota.allowed) {
      logger.warn({ client: client.name, retry_after_ms: quota.retryAfterMs }, "report quota");
      return err(
        apiError(429, "M_LIMIT_EXCEEDED", "too many reports from this client", quota.retryAfterMs),
      );
    }
    const ref = newReportRef();
    const tags = [...new Set(request.tags ?? [])];
    await storage.addReviewReport({
      ref,
      client: client.name,
      sealedRoom: seal(request.room_id, key),
      sealedReason: seal(request.reason, key),
      tags,
      createdAt: at,
    });
    // The ref and counts only: never the room id or the reason.
    logger.info({ client: client.name, report_ref: ref, tags }, "room reported up");
    return ok(ref);
  }

  /** How a report of `client` stands; another client's report is as unknown as none. */
  async status(client: ActiveClient, ref: string): Promise<Result<ReportStatus, ApiError>> {
    const allowed = this.mayReport(client);
    if (!allowed.ok) return allowed;
    const report = await this.deps.storage.getReviewReport(ref);
    if (report === undefined || report.client !== client.name)
      return err(apiError(404, "M_NOT_FOUND", "no such report"));
    return ok(
      report.state === "accepted"
        ? { report_ref: ref, state: report.state, tags: [...(report.acceptedTags ?? [])] }
        : { report_ref: ref, state: report.state },
    );
  }

  private mayReport(client: ActiveClient): Result<void, ApiError> {
    return client.scopes.has(REPORT_SCOPE)
      ? ok(undefined)
      : err(apiError(403, "M_FORBIDDEN", "this client is not granted the report scope"));
  }
}
