/**
 * Counts of the sweep ledger (`sweep_actions`, migration 002_sweeps.sql) for the guard's
 * dashboard: how many actions of each kind a sweep began or finished, and when. Rooms and
 * users are keyed hashes in the ledger and are not read here at all.
 */
import type { SqlExecutor } from "../../../storage/sql-database.js";

/** Actions of one kind in one state on one day. */
export interface SweepCount {
  /** Start of the UTC day, Unix ms. */
  readonly day: number;
  readonly action: string;
  /** `done`, or `started` (begun and not finished: retried at the next sweep). */
  readonly state: string;
  readonly count: number;
  /** Attempts over those actions (more than `count` when some were retried). */
  readonly attempts: number;
  /** The latest change among them, Unix ms. */
  readonly last: number;
}

const DAY_MS = 86_400_000;

/** Counts by day, action and state of the actions last changed in `[from, to)`, newest first. */
export async function sweepCounts(
  db: SqlExecutor,
  from: number,
  to: number,
): Promise<SweepCount[]> {
  const rows = await db.all<{
    day: number | string;
    action: string;
    state: string;
    n: number | string;
    attempts: number | string;
    last: number | string;
  }>(
    `SELECT (updated_at / ${DAY_MS}) * ${DAY_MS} AS day, action, state, COUNT(*) AS n, SUM(attempts) AS attempts, MAX(updated_at) AS last FROM sweep_actions WHERE updated_at >= ? AND updated_at < ? GROUP BY day, action, state ORDER BY day DESC, action, state`,
    [from, to],
  );
  return rows.map((r) => ({
    day: Number(r.day),
    action: r.action,
    state: r.state,
    count: Number(r.n),
    attempts: Number(r.attempts),
    last: Number(r.last),
  }));
}
