/** The `review_reports` row shape shared by the SQL adapters, and its decoding. */
import type { AuditEvent, NewReviewReport, ReviewReport, ReviewState } from "./storage.js";

/** A `review_reports` row as both drivers return it. */
export interface ReviewRow {
  ref: string;
  client: string;
  sealed_room: string;
  sealed_reason: string;
  tags: string;
  state: string;
  accepted_tags: string | null;
  created_at: number | string;
  decided_at: number | string | null;
}

/** Columns in insertion order, for `INSERT … VALUES`. */
export const REVIEW_INSERT =
  "INSERT INTO review_reports (ref, client, sealed_room, sealed_reason, tags, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)";

/** The parameters of REVIEW_INSERT. */
export function reviewInsertParams(report: NewReviewReport): (string | number)[] {
  return [
    report.ref,
    report.client,
    report.sealedRoom,
    report.sealedReason,
    JSON.stringify(report.tags),
    report.createdAt,
  ];
}

/** Decodes a row (PostgreSQL may return BIGINT as text). */
export function reviewFromRow(row: ReviewRow): ReviewReport {
  return {
    ref: row.ref,
    client: row.client,
    sealedRoom: row.sealed_room,
    sealedReason: row.sealed_reason,
    tags: JSON.parse(row.tags) as string[],
    state: row.state as ReviewState,
    acceptedTags: row.accepted_tags === null ? null : (JSON.parse(row.accepted_tags) as string[]),
    createdAt: Number(row.created_at),
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
  };
}

/** The audit event of a report entering the queue (no room id, no reason). */
export function reviewAddedEvent(report: NewReviewReport): AuditEvent {
  return {
    at: report.createdAt,
    kind: "report_received",
    client: report.client,
    subject: report.ref,
    detail: { tags: [...report.tags] },
  };
}

/** The audit event of a decision. */
export function reviewDecidedEvent(
  ref: string,
  client: string,
  decision: "accepted" | "rejected",
  tags: readonly string[] | null,
  now: number,
): AuditEvent {
  return {
    at: now,
    kind: "report_decided",
    client,
    subject: ref,
    detail: { decision, ...(tags === null ? {} : { tags: [...tags] }) },
  };
}
