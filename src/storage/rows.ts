/** Row shapes shared by the SQL adapters, and their decoding into records. */
import type { ClientRecord } from "./storage.js";

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
