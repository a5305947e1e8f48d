/**
 * Reading the decisions log: hourly counts of a period, the accounts still frozen, and the
 * periods the lookup service was unreachable. Used by the dashboard and the transparency
 * report; nothing here names a room.
 */
import type { SqlExecutor } from "../../../storage/sql-database.js";
import type { DecisionAction, DecisionOutcome } from "./decision-record.js";

/** One row of hourly counts. */
export interface CountRow {
  /** Start of the hour, Unix ms. */
  readonly hour: number;
  readonly action: DecisionAction;
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly tag: string;
  readonly server: string;
  readonly automated: boolean;
  readonly count: number;
}

/** An account the guard saw frozen and has not unfrozen. */
export interface FrozenAccountRow {
  readonly userId: string;
  readonly frozenAt: number;
  readonly via: string;
}

/** A period the lookup service did not answer (`endedAt` undefined: still ongoing). */
export interface DegradedPeriod {
  readonly startedAt: number;
  readonly endedAt: number | undefined;
}

/** Reads the decisions log. */
export class DecisionQueries {
  constructor(private readonly db: SqlExecutor) {}

  /** Counts of the hours starting in [from, to). */
  async counts(from: number, to: number): Promise<CountRow[]> {
    const rows = await this.db.all<{
      hour: number;
      action: DecisionAction;
      outcome: DecisionOutcome;
      reason: string;
      tag: string;
      server: string;
      automated: number;
      count: number;
    }>(
      "SELECT hour, action, outcome, reason, tag, server, automated, count FROM decision_counts WHERE hour >= ? AND hour < ? ORDER BY hour",
      [from, to],
    );
    return rows.map((r) => ({
      ...r,
      hour: Number(r.hour),
      count: Number(r.count),
      automated: Number(r.automated) === 1,
    }));
  }

  /** Accounts frozen and not unfrozen through the guard, most recent first. */
  async frozenAccounts(limit = 500): Promise<FrozenAccountRow[]> {
    const rows = await this.db.all<{ user_id: string; frozen_at: number; via: string }>(
      "SELECT user_id, frozen_at, via FROM frozen_accounts ORDER BY frozen_at DESC, user_id LIMIT ?",
      [limit],
    );
    return rows.map((r) => ({ userId: r.user_id, frozenAt: Number(r.frozen_at), via: r.via }));
  }

  /** Outages that overlap [from, to). */
  async degradedPeriods(from: number, to: number): Promise<DegradedPeriod[]> {
    const rows = await this.db.all<{ started_at: number; ended_at: number | null }>(
      "SELECT started_at, ended_at FROM degraded_periods WHERE started_at < ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY started_at",
      [to, from],
    );
    return rows.map((r) => ({
      startedAt: Number(r.started_at),
      endedAt: r.ended_at === null ? undefined : Number(r.ended_at),
    }));
  }
}
