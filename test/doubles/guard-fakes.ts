/**
 * Test doubles of the guard's roles (used by the unit tests beside the code and by the
 * integration tests), kept here so they follow the interfaces they fake.
 */
import { createHash } from "node:crypto";
import { assessHit, type FreezeRule, type PriorHit } from "../../src/core/freeze.js";
import type { Ljs4Hash, RoomId, UserId } from "../../src/core/ids.js";
import { err, ok, type Result } from "../../src/core/result.js";
import type { AlertSink } from "../../src/services/guard/alerts/alert-sender.js";
import type { AlertText } from "../../src/services/guard/alerts/alert-text.js";
import type {
  CheckResult,
  LookupClient,
  LookupFailure,
  LookupResult,
} from "../../src/services/guard/lookup/lookup-client.js";
import type { Membership, RoomTextSource } from "../../src/services/guard/gates/room-facts.js";
import type { RoomTexts } from "../../src/services/guard/gates/room-facts.js";
import type { ListedRoom } from "../../src/services/guard/gates/verdict.js";

/** The lookup service's default freeze rule (lookup.freeze in docs/config.md). */
export const DEFAULT_FREEZE_RULE: FreezeRule = {
  threshold: 3,
  windowMs: 7 * 24 * 3_600_000,
  repeatGraceMs: 10_000,
};

/** A failure as the fake reports it: `down` names its kind ("timeout", "unreachable", …). */
function failureOf(down: string): LookupFailure {
  return down === "timeout" || down === "aborted" || down === "too_large"
    ? { kind: down }
    : { kind: "unreachable", code: down };
}

/**
 * A lookup service in memory: a list, the real freeze rule (`src/core/freeze.ts`), an
 * outage switch. The contract suite (test/contracts/lookup-client.contract.ts) runs it and
 * the real lookup service through the same tests.
 */
export class FakeLookupClient implements LookupClient {
  readonly listed = new Map<RoomId, ListedRoom>();
  readonly frozen = new Set<Ljs4Hash>();
  readonly hits = new Map<Ljs4Hash, PriorHit[]>();
  readonly lookups: { room: RoomId; user: Ljs4Hash }[] = [];
  readonly checks: RoomId[][] = [];
  /** When set, every call fails this way ("timeout", or an unreachable code). */
  down: string | undefined;
  checkSupported = true;
  rateLimitedMs: number | undefined;
  /** When set, the batch check answers 429 with this delay. */
  checkRateLimitedMs: number | undefined;

  constructor(
    private readonly rule: FreezeRule = DEFAULT_FREEZE_RULE,
    private readonly now: () => number = () => Date.now(),
  ) {}

  list(room: string, reportId = "report-1", tags: readonly string[] = ["csam"]): this {
    this.listed.set(room as RoomId, { reportId, tags });
    return this;
  }

  async lookup(room: RoomId, user: Ljs4Hash): Promise<LookupResult> {
    this.lookups.push({ room, user });
    if (this.down !== undefined) return { kind: "unavailable", failure: failureOf(this.down) };
    if (this.rateLimitedMs !== undefined)
      return { kind: "rate_limited", retryAfterMs: this.rateLimitedMs };
    if (this.frozen.has(user)) return { kind: "frozen" };
    const listed = this.listed.get(room);
    if (listed === undefined) return { kind: "clean" };
    const prior = this.hits.get(user) ?? [];
    const hit = { reportId: listed.reportId, at: this.now() };
    const assessment = assessHit(this.rule, prior, hit);
    this.hits.set(user, [...prior, { ...hit, counted: assessment.counted }]);
    if (assessment.freeze) this.frozen.add(user);
    return { kind: "listed", listed, frozeNow: assessment.freeze };
  }

  async check(rooms: readonly RoomId[]): Promise<CheckResult> {
    this.checks.push([...rooms]);
    if (this.down !== undefined) return { kind: "unavailable", failure: failureOf(this.down) };
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

  async unfreeze(user: Ljs4Hash): Promise<Result<boolean, LookupFailure>> {
    if (this.down !== undefined) return err(failureOf(this.down));
    this.hits.delete(user);
    return ok(this.frozen.delete(user));
  }

  /** A version that changes with the listed rooms and their report ids and tags. */
  async listVersion(): Promise<Result<string | undefined, LookupFailure>> {
    if (this.down !== undefined) return err(failureOf(this.down));
    const view = [...this.listed].map(([room, l]) => `${room} ${l.reportId} ${l.tags.join(",")}`);
    return ok(createHash("sha256").update(view.sort().join("\n")).digest("hex"));
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
