/**
 * One followed policy room: its ruleset, where following it stands, and the counts that
 * describe it. Status never names an entity: counts by kind and recommendation, skips by
 * reason, times.
 */
import type { RoomId } from "../core/ids.js";
import { PolicyRuleset, type PolicyCounts } from "./ruleset.js";
import type { PolicyKind, Recommendation, RoomAlias, SkipReason } from "./rules.js";

/** Where following one room stands. */
export type FollowState = "starting" | "following" | "degraded";

/** The status of one followed room (safe to log, export and print). */
export interface FollowedRoomStatus {
  /** The room as configured: a room id or an alias of the policy room itself. */
  readonly room: string;
  readonly roomId?: RoomId;
  readonly state: FollowState;
  /** Why the room is degraded (its last good rules stay in force). */
  readonly degraded?: string;
  readonly counts: PolicyCounts;
  /** When the room's rules were last brought up to date (ms since the epoch). */
  readonly lastSyncAt?: number;
  /** Delay from a rule's sending (origin_server_ts) to its application, last seen. */
  readonly lagMs?: number;
}

/** Net change of the rules in force over one batch, by kind and recommendation. */
export interface PolicyChange {
  readonly rules: Readonly<Record<PolicyKind, Readonly<Record<Recommendation, number>>>>;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
}

/** Mutable per-room bookkeeping of the follower. */
export class FollowedRoom {
  roomId: RoomId | undefined;
  ruleset = new PolicyRuleset();
  state: FollowState = "starting";
  degraded: string | undefined;
  lastSyncAt: number | undefined;
  lagMs: number | undefined;
  /** The whole state must be (re)read: first follow, a gap in the timeline, a new room id. */
  needsState = true;
  /** Not before this time is setup retried (backoff for a room that keeps failing). */
  retryAt = 0;
  failures = 0;

  constructor(readonly configured: string) {}

  /** The configured alias, when the room was given by alias. */
  get alias(): RoomAlias | undefined {
    return this.configured.startsWith("#") ? (this.configured as RoomAlias) : undefined;
  }

  markDegraded(reason: string, now: number, backoffMs: number): void {
    this.state = "degraded";
    this.degraded = reason;
    this.failures++;
    this.retryAt = now + backoffMs;
  }

  markFollowing(now: number): void {
    this.state = "following";
    this.degraded = undefined;
    this.failures = 0;
    this.retryAt = 0;
    this.lastSyncAt = now;
  }

  status(): FollowedRoomStatus {
    return {
      room: this.configured,
      ...(this.roomId === undefined ? {} : { roomId: this.roomId }),
      state: this.state,
      ...(this.degraded === undefined ? {} : { degraded: this.degraded }),
      counts: this.ruleset.counts(),
      ...(this.lastSyncAt === undefined ? {} : { lastSyncAt: this.lastSyncAt }),
      ...(this.lagMs === undefined ? {} : { lagMs: this.lagMs }),
    };
  }
}

/** `after - before`, by kind and recommendation and by skip reason (zero entries left out). */
export function diffCounts(before: PolicyCounts, after: PolicyCounts): PolicyChange {
  const kinds: PolicyKind[] = ["room", "user", "server"];
  const recs: Recommendation[] = ["ban", "takedown", "other"];
  const rules = Object.fromEntries(
    kinds.map((k) => [
      k,
      Object.fromEntries(recs.map((r) => [r, after.rules[k][r] - before.rules[k][r]])),
    ]),
  ) as PolicyChange["rules"];
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const reason of Object.keys(after.skipped) as SkipReason[]) {
    const d = after.skipped[reason] - before.skipped[reason];
    if (d !== 0) skipped[reason] = d;
  }
  return { rules, skipped };
}

/** Whether a change changed anything. */
export function isEmptyChange(change: PolicyChange): boolean {
  return (
    Object.values(change.rules).every((byRec) => Object.values(byRec).every((n) => n === 0)) &&
    Object.keys(change.skipped).length === 0
  );
}

/** Sum of several changes. */
export function addChanges(a: PolicyChange, b: PolicyChange): PolicyChange {
  const rules = Object.fromEntries(
    (Object.keys(a.rules) as PolicyKind[]).map((k) => [
      k,
      Object.fromEntries(
        (Object.keys(a.rules[k]) as Recommendation[]).map((r) => [
          r,
          a.rules[k][r] + b.rules[k][r],
        ]),
      ),
    ]),
  ) as PolicyChange["rules"];
  const skipped: Partial<Record<SkipReason, number>> = { ...a.skipped };
  for (const [reason, n] of Object.entries(b.skipped) as [SkipReason, number][])
    skipped[reason] = (skipped[reason] ?? 0) + n;
  return { rules, skipped };
}
