/**
 * The guard's record of user reports (`reports` in the guard's database, migration
 * 003_reports.sql): each report once, under the short id moderators type, with its state.
 */
import type { SqlDatabase, SqlExecutor } from "../../../storage/sql-database.js";

/** Where a report came from: Synapse's event or user reports, or a room report. */
export type ReportKind = "event" | "user" | "room";
/** Whether the reported room is listed: `unknown` when the lookup service could not say. */
export type Listing = "listed" | "not_listed" | "unknown" | "no_room";
/** What moderators did with a report. */
export type ReportState = "open" | "dismissed" | "escalated" | "accepted" | "rejected";

/** One stored report. */
export interface GuardReport {
  readonly shortId: string;
  readonly kind: ReportKind;
  readonly synapseId: number | null;
  readonly reporter: string;
  /** The reported user, or the sender of the reported event. */
  readonly targetUser: string | null;
  readonly eventId: string | null;
  /** The reported room, unless it is listed (then asked from Synapse, or not kept). */
  readonly roomId: string | null;
  readonly reason: string;
  readonly listed: Listing;
  readonly state: ReportState;
  readonly escalationRef: string | null;
  readonly receivedAt: number;
}

interface Row {
  short_id: string;
  kind: string;
  synapse_id: number | string | null;
  reporter: string;
  target_user: string | null;
  event_id: string | null;
  room_id: string | null;
  reason: string;
  listed: string;
  state: string;
  escalation_ref: string | null;
  received_at: number | string;
}

const fromRow = (r: Row): GuardReport => ({
  shortId: r.short_id,
  kind: r.kind as ReportKind,
  synapseId: r.synapse_id === null ? null : Number(r.synapse_id),
  reporter: r.reporter,
  targetUser: r.target_user,
  eventId: r.event_id,
  roomId: r.room_id,
  reason: r.reason,
  listed: r.listed as Listing,
  state: r.state as ReportState,
  escalationRef: r.escalation_ref,
  receivedAt: Number(r.received_at),
});

/** The short id of a report: its kind's letter and Synapse's id (`e12`, `u3`), or `r<n>`. */
export function shortIdOf(kind: ReportKind, n: number): string {
  return `${kind[0] as string}${n}`;
}

/** A report to record, short id included. */
export type NewGuardReport = Omit<GuardReport, "state" | "escalationRef">;

/** Reports in the guard's database. */
export class ReportStore {
  constructor(private readonly db: SqlDatabase) {}

  /** Inserts reports not yet known; answers the ones inserted. */
  async insert(tx: SqlExecutor, reports: readonly NewGuardReport[], now: number) {
    const inserted: GuardReport[] = [];
    for (const r of reports) {
      const changed = await tx.run(
        "INSERT INTO reports (short_id, kind, synapse_id, reporter, target_user, event_id, room_id, reason, listed, state, received_at, alerted, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, 0, ?) ON CONFLICT DO NOTHING",
        [
          r.shortId,
          r.kind,
          r.synapseId,
          r.reporter,
          r.targetUser,
          r.eventId,
          r.roomId,
          r.reason,
          r.listed,
          r.receivedAt,
          now,
        ],
      );
      if (changed > 0) inserted.push({ ...r, state: "open", escalationRef: null });
    }
    return inserted;
  }

  /** The next number of a room report (`r<n>`), inside the inserting transaction. */
  async nextRoomNumber(tx: SqlExecutor): Promise<number> {
    const rows = await tx.all<{ n: number | string | null }>(
      "SELECT MAX(synapse_id) AS n FROM reports WHERE kind = 'room'",
    );
    return Number(rows[0]?.n ?? 0) + 1;
  }

  async get(shortId: string): Promise<GuardReport | undefined> {
    const rows = await this.db.all<Row>("SELECT * FROM reports WHERE short_id = ?", [shortId]);
    const row = rows[0];
    return row === undefined ? undefined : fromRow(row);
  }

  /** Reports recorded but whose alert was not handed to the sender (a crash in between). */
  async unalerted(): Promise<GuardReport[]> {
    const rows = await this.db.all<Row>(
      "SELECT * FROM reports WHERE alerted = 0 ORDER BY received_at",
    );
    return rows.map(fromRow);
  }

  async markAlerted(shortIds: readonly string[], now: number): Promise<void> {
    for (const id of shortIds)
      await this.db.run("UPDATE reports SET alerted = 1, updated_at = ? WHERE short_id = ?", [
        now,
        id,
      ]);
  }

  /** Moves a report to `state` (from one of `from`); false when it was not in those. */
  async setState(
    shortId: string,
    from: readonly ReportState[],
    state: ReportState,
    now: number,
    extra: { escalationRef?: string; forgetRoom?: boolean } = {},
  ): Promise<boolean> {
    const marks = from.map(() => "?").join(", ");
    const sets = [
      "state = ?",
      "updated_at = ?",
      ...(extra.escalationRef === undefined ? [] : ["escalation_ref = ?"]),
      ...(extra.forgetRoom === true ? ["room_id = NULL"] : []),
    ].join(", ");
    const params = [
      state,
      now,
      ...(extra.escalationRef === undefined ? [] : [extra.escalationRef]),
      shortId,
      ...from,
    ];
    return (
      (await this.db.run(
        `UPDATE reports SET ${sets} WHERE short_id = ? AND state IN (${marks})`,
        params,
      )) > 0
    );
  }

  /** Notes the first moderator action on a report (later ones keep the first time). */
  async acted(shortId: string, now: number): Promise<void> {
    await this.db.run("UPDATE reports SET acted_at = ? WHERE short_id = ? AND acted_at IS NULL", [
      now,
      shortId,
    ]);
  }

  /** Notes an action on a user (a suspension) as the first action on reports naming them. */
  async actedOnUser(user: string, now: number): Promise<void> {
    await this.db.run(
      "UPDATE reports SET acted_at = ? WHERE target_user = ? AND acted_at IS NULL AND received_at <= ?",
      [now, user, now],
    );
  }

  /**
   * For each report received in [from, to) and acted on, the milliseconds from receipt to
   * the first action: the transparency report's median time from notice to action.
   */
  async actionDelays(from: number, to: number): Promise<number[]> {
    const rows = await this.db.all<{ received_at: number | string; acted_at: number | string }>(
      "SELECT received_at, acted_at FROM reports WHERE received_at >= ? AND received_at < ? AND acted_at IS NOT NULL",
      [from, to],
    );
    return rows.map((r) => Math.max(0, Number(r.acted_at) - Number(r.received_at)));
  }

  /** The latest `limit` reports, newest first (for the dashboard). */
  async recent(limit: number): Promise<GuardReport[]> {
    const rows = await this.db.all<Row>(
      "SELECT * FROM reports ORDER BY received_at DESC, short_id LIMIT ?",
      [limit],
    );
    return rows.map(fromRow);
  }

  /** Escalated reports awaiting the provider's decision. */
  async escalated(): Promise<GuardReport[]> {
    const rows = await this.db.all<Row>(
      "SELECT * FROM reports WHERE state = 'escalated' ORDER BY received_at",
    );
    return rows.map(fromRow);
  }
}
