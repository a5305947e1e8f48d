/**
 * Counts of the lookup service's audit trail by kind and month, for the provider's
 * transparency report. Read through the portable SQL handle (sql-database.ts) with the
 * lookup service's own migrations, so the same code reads SQLite and PostgreSQL.
 */
import { fileURLToPath } from "node:url";
import { openSqlDatabase } from "./sql-database.js";

// Two levels up from both src/storage/ and dist/storage/.
const LOOKUP_MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

/** Audit events of one kind in one month. */
export interface AuditMonthCount {
  readonly kind: string;
  /** `YYYY-MM`. */
  readonly month: string;
  readonly count: number;
}

/** Counts the audit events of [start, end) by kind, month by month (UTC). */
export async function auditCountsByMonth(
  url: string,
  start: number,
  end: number,
): Promise<AuditMonthCount[]> {
  const db = await openSqlDatabase(url, LOOKUP_MIGRATIONS_DIR);
  try {
    const counts: AuditMonthCount[] = [];
    for (let from = start; from < end;) {
      const d = new Date(from);
      const next = Math.min(end, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
      const rows = await db.all<{ kind: string; n: number }>(
        "SELECT kind, COUNT(*) AS n FROM audit_events WHERE at >= ? AND at < ? GROUP BY kind",
        [from, next],
      );
      const month = d.toISOString().slice(0, 7);
      for (const r of rows) counts.push({ kind: r.kind, month, count: Number(r.n) });
      from = next;
    }
    return counts;
  } finally {
    await db.close();
  }
}
