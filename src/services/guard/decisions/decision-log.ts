/**
 * The decisions log's writer: counts decisions in memory per hour and key, and writes them
 * to the guard's database in one transaction every few seconds (and at stop). A callback
 * answer never waits for the database: `record()` only adds to a map. A write that fails
 * keeps its counts for the next flush, so an outage of PostgreSQL loses nothing but the
 * counts still pending when the process ends. Rows older than the retention are deleted.
 */
import type { UserId } from "../../../core/ids.js";
import type { SqlDatabase, SqlExecutor } from "../../../storage/sql-database.js";
import type { Decision, GatedCallback, GuardEvent } from "../gates/verdict.js";
import {
  decisionRecord,
  loggedEvents,
  type DecisionAction,
  type DecisionRecord,
  type DecisionRecorder,
  type LoggedEvent,
} from "./decision-record.js";

/** One hour in milliseconds: the granularity of the counts. */
export const HOUR_MS = 3_600_000;
/** Pending keys above which new keys are dropped (counted) rather than held. */
const MAX_PENDING_KEYS = 50_000;

/** What the log uses. */
export interface DecisionLogDeps {
  readonly db: SqlDatabase;
  readonly now: () => number;
  /** Counts older than this are deleted by `prune()`. */
  readonly retentionMs: number;
}

interface Pending {
  readonly hour: number;
  readonly record: Required<DecisionRecord>;
  count: number;
}

type StateChange =
  | { readonly at: number; readonly event: LoggedEvent }
  | { readonly at: number; readonly event: { readonly kind: "unfrozen"; readonly user: UserId } };

/** Records decisions for the dashboard and the transparency report. */
export class DecisionLog implements DecisionRecorder {
  private pending = new Map<string, Pending>();
  private changes: StateChange[] = [];
  private dropped = 0;

  constructor(private readonly deps: DecisionLogDeps) {}

  /** Counts one decision of a gate (as `action` when given: a knock), and keeps its freezes. */
  decision(callback: GatedCallback, decision: Decision, action?: DecisionAction): void {
    const record = decisionRecord(callback, decision);
    this.record(action === undefined ? record : { ...record, action });
    this.events(decision.events);
  }

  /** Keeps freezes and lookup outages (from the gates or the lookup monitor). */
  events(events: readonly GuardEvent[]): void {
    const at = this.deps.now();
    for (const event of loggedEvents(events)) {
      if (event.kind === "frozen")
        this.record({ action: "freeze", outcome: "done", reason: event.via });
      this.changes.push({ at, event });
    }
  }

  /** Counts an unfreeze and forgets the account's freeze. */
  unfrozen(user: UserId, origin: string, ok: boolean): void {
    this.record({
      action: "unfreeze",
      outcome: ok ? "done" : "failed",
      reason: origin,
      automated: false,
    });
    if (ok) this.changes.push({ at: this.deps.now(), event: { kind: "unfrozen", user } });
  }

  record(record: DecisionRecord): void {
    const hour = Math.floor(this.deps.now() / HOUR_MS) * HOUR_MS;
    const full: Required<DecisionRecord> = {
      action: record.action,
      outcome: record.outcome,
      reason: record.reason ?? "",
      tag: record.tag ?? "",
      server: record.server ?? "",
      automated: record.automated ?? true,
    };
    const key = JSON.stringify([hour, ...Object.values(full)]);
    const known = this.pending.get(key);
    if (known !== undefined) known.count++;
    else if (this.pending.size >= MAX_PENDING_KEYS) this.dropped++;
    else this.pending.set(key, { hour, record: full, count: 1 });
  }

  /** Counts dropped because too many distinct keys were pending (a flood of servers). */
  get droppedCount(): number {
    return this.dropped;
  }

  /** Writes what is pending in one transaction; on failure it stays pending. */
  async flush(): Promise<void> {
    if (this.pending.size === 0 && this.changes.length === 0) return;
    const pending = this.pending;
    const changes = this.changes;
    this.pending = new Map();
    this.changes = [];
    try {
      await this.deps.db.transaction(async (tx) => {
        for (const p of pending.values()) await addCount(tx, p);
        for (const change of changes) await applyChange(tx, change);
      });
    } catch (e) {
      // Merge back, so the next flush writes them (newer counts were added meanwhile).
      for (const [key, p] of pending) {
        const newer = this.pending.get(key);
        if (newer !== undefined) newer.count += p.count;
        else this.pending.set(key, p);
      }
      this.changes = [...changes, ...this.changes];
      throw e;
    }
  }

  /** Deletes counts and outages older than the retention; answers the rows deleted. */
  async prune(): Promise<number> {
    const cutoff = this.deps.now() - this.deps.retentionMs;
    const counts = await this.deps.db.run("DELETE FROM decision_counts WHERE hour < ?", [
      Math.floor(cutoff / HOUR_MS) * HOUR_MS - HOUR_MS,
    ]);
    const periods = await this.deps.db.run(
      "DELETE FROM degraded_periods WHERE ended_at IS NOT NULL AND ended_at < ?",
      [cutoff],
    );
    return counts + periods;
  }
}

async function addCount(tx: SqlExecutor, p: Pending): Promise<void> {
  const r = p.record;
  await tx.run(
    "INSERT INTO decision_counts (hour, action, outcome, reason, tag, server, automated, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hour, action, outcome, reason, tag, server, automated) DO UPDATE SET count = decision_counts.count + excluded.count",
    [p.hour, r.action, r.outcome, r.reason, r.tag, r.server, r.automated ? 1 : 0, p.count],
  );
}

async function applyChange(tx: SqlExecutor, { at, event }: StateChange): Promise<void> {
  switch (event.kind) {
    case "frozen":
      await tx.run(
        "INSERT INTO frozen_accounts (user_id, frozen_at, via) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
        [event.user, at, event.via],
      );
      return;
    case "unfrozen":
      await tx.run("DELETE FROM frozen_accounts WHERE user_id = ?", [event.user]);
      return;
    case "degraded":
      // One open period at a time: a second "degraded" while one is open changes nothing.
      await tx.run(
        "INSERT INTO degraded_periods (started_at, ended_at) SELECT ?, NULL WHERE NOT EXISTS (SELECT 1 FROM degraded_periods WHERE ended_at IS NULL)",
        [at],
      );
      return;
    case "recovered":
      await tx.run("UPDATE degraded_periods SET ended_at = ? WHERE ended_at IS NULL", [at]);
      return;
  }
}
