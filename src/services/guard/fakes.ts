/**
 * Test doubles of the guard's roles (used by the unit tests beside the code and by the
 * integration tests), kept here so they follow the interfaces they fake.
 */
import type { Ljs4Hash, RoomId, UserId } from "../../core/ids.js";
import { err, ok, type Result } from "../../core/result.js";
import type { AlertSink } from "./alerts/alert-sender.js";
import type { AlertText } from "./alerts/alert-text.js";
import type { CheckResult, LookupClient, LookupResult } from "./lookup-client.js";
import type { Membership, RoomTextSource } from "./membership.js";
import type { RoomTexts } from "./synapse-admin.js";
import type { ListedRoom } from "./verdict.js";

/** A lookup service in memory: a list, the freeze rule (3 hits), an outage switch. */
export class FakeLookupClient implements LookupClient {
  readonly listed = new Map<RoomId, ListedRoom>();
  readonly frozen = new Set<Ljs4Hash>();
  readonly hits = new Map<Ljs4Hash, number>();
  readonly lookups: { room: RoomId; user: Ljs4Hash }[] = [];
  readonly checks: RoomId[][] = [];
  /** When set, every call answers this. */
  down: string | undefined;
  checkSupported = true;
  rateLimitedMs: number | undefined;
  /** When set, the batch check answers 429 with this delay. */
  checkRateLimitedMs: number | undefined;

  list(room: string, reportId = "report-1", tags: readonly string[] = ["csam"]): this {
    this.listed.set(room as RoomId, { reportId, tags });
    return this;
  }

  async lookup(room: RoomId, user: Ljs4Hash): Promise<LookupResult> {
    this.lookups.push({ room, user });
    if (this.down !== undefined) return { kind: "unavailable", reason: this.down };
    if (this.rateLimitedMs !== undefined)
      return { kind: "rate_limited", retryAfterMs: this.rateLimitedMs };
    if (this.frozen.has(user)) return { kind: "frozen" };
    const listed = this.listed.get(room);
    if (listed === undefined) return { kind: "clean" };
    const hits = (this.hits.get(user) ?? 0) + 1;
    this.hits.set(user, hits);
    if (hits >= 3) this.frozen.add(user);
    return { kind: "listed", listed, frozeNow: hits === 3 };
  }

  async check(rooms: readonly RoomId[]): Promise<CheckResult> {
    this.checks.push([...rooms]);
    if (this.down !== undefined) return { kind: "unavailable", reason: this.down };
    if (!this.checkSupported) return { kind: "unsupported" };
    if (this.checkRateLimitedMs !== undefined)
      return { kind: "rate_limited", retryAfterMs: this.checkRateLimitedMs };
    const listed = new Map<RoomId, ListedRoom>();
    for (const room of rooms) {
      const match = this.listed.get(room);
      if (match !== undefined) listed.set(room, match);
    }
    return { kind: "checked", listed };
  }

  async unfreeze(user: Ljs4Hash): Promise<Result<boolean, string>> {
    if (this.down !== undefined) return err(this.down);
    this.hits.delete(user);
    return ok(this.frozen.delete(user));
  }
}

/** Membership and room texts from maps. */
export class FakeFacts implements Membership, RoomTextSource {
  readonly joined = new Map<UserId, Set<RoomId>>();
  readonly texts = new Map<RoomId, RoomTexts>();
  /** Every membership question, in order (each would be an admin API call). */
  readonly asked: { user: UserId; room: RoomId }[] = [];
  known = true;

  join(user: string, room: string): this {
    const rooms = this.joined.get(user as UserId) ?? new Set<RoomId>();
    rooms.add(room as RoomId);
    this.joined.set(user as UserId, rooms);
    return this;
  }

  async isJoined(user: UserId, room: RoomId): Promise<boolean | undefined> {
    this.asked.push({ user, room });
    return this.known ? (this.joined.get(user)?.has(room) ?? false) : undefined;
  }

  async textsOf(room: RoomId): Promise<RoomTexts | undefined> {
    return this.texts.get(room);
  }
}

/** Records alerts. */
export class RecordingAlertSink implements AlertSink {
  readonly posted: { kind: string; text: AlertText }[] = [];
  post(kind: string, text: AlertText): void {
    this.posted.push({ kind, text });
  }
}
