/** Row shapes shared by the SQL adapters, and their decoding into records. */
import type { AuditEvent, BatchCheck, ClientRecord } from "./storage.js";

/** A `clients` row as both drivers return it. */
export interface ClientRow {
  name: string;
  token_hash: string;
  tags: string | null;
  allow_ips: string;
  scopes: string;
  created_at: number | string;
  updated_at: number | string;
  revoked_at: number | string | null;
}

/** Decodes a `clients` row (PostgreSQL returns BIGINT as text). */
export function clientFromRow(row: ClientRow): ClientRecord {
  return {
    name: row.name,
    tokenHash: row.token_hash,
    tags: row.tags === null ? null : (JSON.parse(row.tags) as string[]),
    allowIps: JSON.parse(row.allow_ips) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** The audit events of a batch check: the check, and the enumeration suspicion if any. */
export function checkAuditEvents(check: BatchCheck): AuditEvent[] {
  const base = { at: check.at, client: check.client, subject: null };
  const events: AuditEvent[] = [
    { ...base, kind: "check", detail: { hashes: check.hashes, listed: check.listed } },
  ];
  if (check.suspected !== undefined) {
    events.push({
      ...base,
      kind: "enumeration_suspected",
      detail: { reasons: [...check.suspected.reasons], window: { ...check.suspected.window } },
    });
  }
  return events;
}
