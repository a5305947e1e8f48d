/**
 * Counts of the lookup service's audit trail by kind and month, for the provider's
 * transparency report. Read through the portable SQL handle (sql-database.ts) with the
 * lookup service's own migrations, so the same code reads SQLite and PostgreSQL.
 */
import { fileURLToPath } from "node:url";
import { openSqlDatabase, type SqlDatabase } from "./sql-database.js";

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

/** Per-client figures of the audit trail for the provider's dashboard (never pseudonyms). */
export class AuditReader {
  private constructor(private readonly db: SqlDatabase) {}

  /** Opens the lookup service's database a second time, for reading. */
  static async open(url: string): Promise<AuditReader> {
    return new AuditReader(await openSqlDatabase(url, LOOKUP_MIGRATIONS_DIR));
  }

  /** Hits per client and day (`YYYY-MM-DD`) in [from, to). */
  async hitsByDay(
    from: number,
    to: number,
  ): Promise<{ client: string; day: number; count: number }[]> {
    const rows = await this.db.all<{ client: string | null; at: number }>(
      "SELECT client, at FROM audit_events WHERE kind = 'hit' AND at >= ? AND at < ?",
      [from, to],
    );
    const counts = new Map<string, { client: string; day: number; count: number }>();
    for (const r of rows) {
      const client = r.client ?? "";
      const day = Math.floor(Number(r.at) / 86_400_000) * 86_400_000;
      const key = `${client}\n${day}`;
      const known = counts.get(key);
      if (known !== undefined) known.count++;
      else counts.set(key, { client, day, count: 1 });
    }
    return [...counts.values()];
  }

  /** The last audit event (hit, batch check, freeze) of each client. */
  async lastSeen(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ client: string; at: number }>(
      "SELECT client, MAX(at) AS at FROM audit_events WHERE client IS NOT NULL AND kind IN ('hit', 'check', 'freeze') GROUP BY client",
    );
    return new Map(rows.map((r) => [r.client, Number(r.at)]));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
