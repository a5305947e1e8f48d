/**
 * Follows Matrix policy rooms (spec, client-server API "Moderation policy lists", MSC2313)
 * through a small client-server port: resolves aliases, accepts invites, reads each room's
 * whole state, then long-polls `/sync` filtered to those rooms and the policy event types,
 * applying rule changes and redactions as they arrive — so a new or removed rule is in
 * force within a second or two of its sending.
 *
 * Failures never end the loop: errors back off (the last good rules stay in force and the
 * status says why it is degraded); a malformed rule is counted by the ruleset; a room that
 * vanishes or refuses us is degraded alone. Shared by the lookup service's `policy_room`
 * source and the guard. No HTTP framework here; I/O only through `PolicyRoomPort`.
 */
import { ljs4Hash } from "../core/hash.js";
import { parseRoomId, type RoomId } from "../core/ids.js";
import type { ListedRoom } from "../core/source-list.js";
import {
  addChanges,
  diffCounts,
  FollowedRoom,
  isEmptyChange,
  type FollowedRoomStatus,
  type PolicyChange,
} from "./followed-room.js";
import type { PolicyRoomPort, PortError, SyncJoinedRoom } from "./matrix-port.js";
import { PolicyMatcher } from "./matcher.js";
import { PolicyRuleset, type RecommendationTags } from "./ruleset.js";
import type { RoomAlias } from "./rules.js";
import { policySyncFilter, POSITION_ONLY_FILTER } from "./sync-filter.js";

/** Where the follower logs (a pino logger fits). Fields are counts and reasons only. */
export interface FollowerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The follower's settings. */
export interface FollowerOptions {
  readonly port: PolicyRoomPort;
  /** Policy rooms by id or alias, as configured. */
  readonly rooms: readonly string[];
  readonly log: FollowerLog;
  readonly now?: () => number;
  /** The `/sync` long-poll (default 30 s). */
  readonly longPollMs?: number;
  /** How often aliases are resolved again (default 10 min). */
  readonly aliasRefreshMs?: number;
  /** Backoff after a failure: doubles from `min` up to `max` (defaults 1 s, 30 s). */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  /** Most state events read from one room (default 1,000,000): above, the room is degraded. */
  readonly maxStateEvents?: number;
}

/** The whole follower's status. */
export interface FollowerStatus {
  /** Why following is degraded as a whole (e.g. the homeserver does not answer). */
  readonly degraded?: string;
  readonly lastSyncAt?: number;
  readonly rooms: readonly FollowedRoomStatus[];
}

const REDACTION = "m.room.redaction";

/** Describes a port failure for logs and status: a kind, status and errcode, nothing else. */
export function describePortError(e: PortError): string {
  const status =
    e.status === undefined ? "" : ` (HTTP ${e.status}${e.errcode ? ` ${e.errcode}` : ""})`;
  const what: Record<PortError["kind"], string> = {
    unauthorized: "the access token was rejected",
    forbidden: "not allowed (not joined or invited?)",
    not_found: "not found",
    too_large: "the answer was too large",
    bad_answer: "the homeserver's answer was not understood",
    unreachable: "the homeserver did not answer",
    http: "the homeserver failed",
  };
  return what[e.kind] + status;
}

/** Follows a set of policy rooms; see the file comment. */
export class PolicyRoomFollower {
  private readonly rooms: FollowedRoom[];
  private readonly now: () => number;
  private readonly longPollMs: number;
  private readonly aliasRefreshMs: number;
  private readonly backoff: { readonly minMs: number; readonly maxMs: number };
  private readonly maxStateEvents: number;
  private since: string | undefined;
  private degraded: string | undefined;
  private lastSyncAt: number | undefined;
  private nextAliasRefresh = 0;
  /** Aliases named by room rules, resolved (undefined: not resolvable now). */
  private readonly ruleAliases = new Map<RoomAlias, RoomId | undefined>();
  private readonly listeners: ((change: PolicyChange) => void)[] = [];
  private stopper: AbortController | undefined;
  private running: Promise<void> | undefined;
  private firstReadDone: () => void = () => undefined;
  /** Settles when every room has been tried once after `start` (read or degraded). */
  readonly firstRead = new Promise<void>((resolve) => (this.firstReadDone = resolve));

  constructor(private readonly options: FollowerOptions) {
    this.rooms = [...new Set(options.rooms)].map((r) => new FollowedRoom(r));
    this.now = options.now ?? Date.now;
    this.longPollMs = options.longPollMs ?? 30_000;
    this.aliasRefreshMs = options.aliasRefreshMs ?? 10 * 60_000;
    this.backoff = options.backoff ?? { minMs: 1000, maxMs: 30_000 };
    this.maxStateEvents = options.maxStateEvents ?? 1_000_000;
  }

  /** Called after each batch that changed the rules in force (never with entities). */
  onChange(listener: (change: PolicyChange) => void): void {
    this.listeners.push(listener);
  }

  /** Reads every room's state once (no sync): for `redlight policy status`. */
  async followOnce(): Promise<FollowerStatus> {
    await this.maintain(true);
    this.firstReadDone();
    return this.status();
  }

  /** Whether `start` was called. */
  get started(): boolean {
    return this.running !== undefined;
  }

  /** Starts following in the background; `stop` ends it. */
  start(): void {
    if (this.running !== undefined) return;
    const stopper = new AbortController();
    this.stopper = stopper;
    this.running = this.loop(stopper.signal);
  }

  /**
   * Stops following; resolves when the loop has ended, or after 5 s: a state read under
   * way is not aborted (it ends by its own deadline, and the loop then sees the stop), so
   * a hanging homeserver never holds up a shutdown.
   */
  async stop(): Promise<void> {
    this.stopper?.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000))),
    ]);
    clearTimeout(timer);
    this.running = undefined;
  }

  /** Status of the follower and of every room. */
  status(): FollowerStatus {
    return {
      ...(this.degraded === undefined ? {} : { degraded: this.degraded }),
      ...(this.lastSyncAt === undefined ? {} : { lastSyncAt: this.lastSyncAt }),
      rooms: this.rooms.map((r) => r.status()),
    };
  }

  /** Whether every room has been read at least once and nothing is degraded. */
  get healthy(): boolean {
    return this.degraded === undefined && this.rooms.every((r) => r.state === "following");
  }

  /**
   * The room rules in force as list entries: rooms named by id or by MSC4205 hash, and
   * aliases named by rules once resolved. Across policy rooms a room named twice keeps
   * both entries; `SourceListBuilder` merges them (union of tags).
   */
  listedRooms(tags: RecommendationTags): ListedRoom[] {
    const out: ListedRoom[] = [];
    for (const room of this.rooms) {
      const entries = room.ruleset.roomEntries(tags);
      out.push(...entries.rooms);
      for (const a of entries.aliases) {
        const id = this.ruleAliases.get(a.alias);
        if (id !== undefined) out.push({ hash: ljs4Hash(id), reportId: a.reportId, tags: a.tags });
      }
    }
    return out;
  }

  /** A matcher of users and servers over the rules in force now (a snapshot). */
  matcher(): PolicyMatcher {
    const rooms = this.rooms;
    return new PolicyMatcher(
      (function* () {
        for (const r of rooms) yield* r.ruleset.rules();
      })(),
    );
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const outcome = await this.step(signal).catch((e: unknown) => ({
        failed: `unexpected ${(e as Error).name}`,
      }));
      if (signal.aborted) return;
      if (outcome === undefined) {
        failures = 0;
        continue;
      }
      failures++;
      if (this.degraded !== outcome.failed)
        this.options.log.warn(
          { reason: outcome.failed },
          "policy rooms: sync failed; the last good rules stay in force",
        );
      this.degraded = outcome.failed;
      await sleep(this.backoffMs(failures), signal);
    }
  }

  /** One round: maintenance when due, then one long-poll. A failure is a reason. */
  private async step(signal: AbortSignal): Promise<{ failed: string } | undefined> {
    const { port } = this.options;
    if (this.since === undefined) {
      // A position first, then each room's whole state: events after the position come by
      // sync, and applying one the state already held changes nothing.
      const first = await port.sync({ filter: POSITION_ONLY_FILTER, timeoutMs: 0, signal });
      if (!first.ok) {
        // Nothing can be read while the homeserver fails: the first read is over.
        this.firstReadDone();
        return { failed: describePortError(first.error) };
      }
      this.since = first.value.next_batch;
      for (const r of this.rooms) r.needsState = true;
    }
    await this.maintain(false);
    this.firstReadDone();
    const ids = this.rooms.flatMap((r) => (r.roomId === undefined ? [] : [r.roomId]));
    const answer = await port.sync({
      filter: policySyncFilter(ids),
      since: this.since,
      // After a failure, ask without waiting: recovery shows at once, not after a long-poll.
      timeoutMs: this.degraded === undefined ? this.longPollMs : 0,
      signal,
    });
    if (!answer.ok) return { failed: describePortError(answer.error) };
    if (this.degraded !== undefined) this.options.log.info({}, "policy rooms: sync works again");
    this.degraded = undefined;
    this.since = answer.value.next_batch;
    this.lastSyncAt = this.now();
    this.applySync(answer.value.rooms ?? {});
    return undefined;
  }

  private applySync(rooms: NonNullable<import("./matrix-port.js").SyncAnswer["rooms"]>): void {
    let change: PolicyChange | undefined;
    const now = this.now();
    for (const room of this.rooms) {
      if (room.roomId === undefined) continue;
      const joined = rooms.join?.[room.roomId];
      if (joined !== undefined) {
        const delta = this.applyJoined(room, joined, now);
        if (delta !== undefined) change = change === undefined ? delta : addChanges(change, delta);
        if (room.state !== "degraded") room.lastSyncAt = now;
      } else if (room.state === "following") room.lastSyncAt = now;
      if (rooms.leave?.[room.roomId] !== undefined) {
        // Kicked, banned, or the room is gone: keep its last good rules, try again later.
        room.markDegraded(
          "left the policy room (kicked or the room is gone)",
          now,
          this.backoff.maxMs,
        );
        this.options.log.warn(
          { room: room.configured },
          "policy rooms: no longer in a policy room",
        );
      }
      if (rooms.invite?.[room.roomId] !== undefined) {
        room.needsState = true;
        room.retryAt = 0;
      }
    }
    if (change !== undefined) this.emit(change);
  }

  /** Applies one room's state and timeline; the net change when any rule was touched. */
  private applyJoined(
    room: FollowedRoom,
    joined: SyncJoinedRoom,
    now: number,
  ): PolicyChange | undefined {
    const roomId = room.roomId as RoomId;
    if (joined.timeline?.limited === true) {
      // A gap: events were left out. Read the whole state again before the next sync.
      room.needsState = true;
      return undefined;
    }
    const events = [...(joined.state?.events ?? []), ...(joined.timeline?.events ?? [])];
    if (events.length === 0) return undefined;
    const before = room.ruleset.counts();
    let newest = 0;
    let aliasesNamed = false;
    let touched = false;
    for (const event of events) {
      if (typeof event !== "object" || event === null) continue;
      const e = event as {
        type?: unknown;
        redacts?: unknown;
        content?: unknown;
        origin_server_ts?: unknown;
      };
      if (typeof e.origin_server_ts === "number") newest = Math.max(newest, e.origin_server_ts);
      if (e.type === REDACTION) {
        // Room versions up to 10 put `redacts` at the top; version 11 in the content.
        const content = e.content as { redacts?: unknown } | undefined;
        const target = typeof e.redacts === "string" ? e.redacts : content?.redacts;
        if (typeof target === "string") touched = room.ruleset.redact(roomId, target) || touched;
        continue;
      }
      const outcome = room.ruleset.apply(roomId, event);
      // A replaced rule leaves the counts as they were, but may name another entity.
      if (outcome !== "ignored" && outcome !== "malformed") touched = true;
      if (outcome === "added" || outcome === "replaced") aliasesNamed ||= namesAlias(event);
    }
    if (newest > 0) room.lagMs = Math.max(0, now - newest);
    if (aliasesNamed) this.nextAliasRefresh = 0;
    const change = diffCounts(before, room.ruleset.counts());
    return touched || !isEmptyChange(change) ? change : undefined;
  }

  /**
   * Resolves aliases, accepts invites and reads the whole state of the rooms that need it
   * (`all`: every room, now). A room failing here is degraded alone, with its own backoff.
   */
  private async maintain(all: boolean): Promise<void> {
    const now = this.now();
    const refreshAliases = all || now >= this.nextAliasRefresh;
    if (refreshAliases) this.nextAliasRefresh = now + this.aliasRefreshMs;
    const due = this.rooms.filter(
      (r) =>
        all ||
        (r.retryAt <= now &&
          (r.needsState || r.state === "degraded" || (refreshAliases && r.alias !== undefined))),
    );
    let joined: Set<RoomId> | undefined;
    let change: PolicyChange | undefined;
    for (const room of due) {
      const failed = (reason: string) => {
        if (room.degraded !== reason)
          this.options.log.warn(
            { room: room.configured, reason },
            "policy rooms: cannot follow a room; its last good rules stay in force",
          );
        room.markDegraded(reason, this.now(), this.backoffMs(room.failures + 1));
      };
      if (room.alias !== undefined) {
        const resolved = await this.options.port.resolveAlias(room.alias);
        if (!resolved.ok) {
          failed(`alias: ${describePortError(resolved.error)}`);
          continue;
        }
        if (resolved.value !== room.roomId) {
          if (room.roomId !== undefined)
            this.options.log.info(
              { room: room.configured },
              "policy rooms: an alias now names another room",
            );
          room.roomId = resolved.value;
          room.needsState = true;
        }
      } else if (room.roomId === undefined) {
        const id = parseRoomId(room.configured);
        if (!id.ok) {
          failed("neither a room id nor a room alias");
          continue;
        }
        room.roomId = id.value;
      }
      if (!room.needsState && room.state !== "degraded") continue;
      const roomId = room.roomId;
      if (joined === undefined) {
        const list = await this.options.port.joinedRooms();
        if (!list.ok) {
          failed(`joined rooms: ${describePortError(list.error)}`);
          continue;
        }
        joined = new Set(list.value);
      }
      if (!joined.has(roomId)) {
        const join = await this.options.port.join(roomId);
        if (!join.ok) {
          failed(`join: ${describePortError(join.error)}`);
          continue;
        }
        joined.add(roomId);
      }
      const state = await this.options.port.roomState(roomId);
      if (!state.ok) {
        failed(`state: ${describePortError(state.error)}`);
        continue;
      }
      if (state.value.length > this.maxStateEvents) {
        failed(`state: ${state.value.length} events, over the limit of ${this.maxStateEvents}`);
        continue;
      }
      const before = room.ruleset.counts();
      const ruleset = new PolicyRuleset();
      for (const event of state.value) ruleset.apply(roomId, event);
      room.ruleset = ruleset;
      room.needsState = false;
      room.markFollowing(this.now());
      const delta = diffCounts(before, ruleset.counts());
      this.options.log.info(
        { room: room.configured, rules: countRules(ruleset) },
        "policy rooms: room state read",
      );
      // Counted even when the counts stay: rules may name other rooms than before.
      change = change === undefined ? delta : addChanges(change, delta);
    }
    if (refreshAliases && (await this.resolveRuleAliases()))
      change ??= diffCounts(emptyCounts(), emptyCounts());
    if (change !== undefined) this.emit(change);
  }

  /** Resolves the aliases room rules name; true when an answer changed. */
  private async resolveRuleAliases(): Promise<boolean> {
    const named = new Set<RoomAlias>();
    for (const room of this.rooms)
      for (const rule of room.ruleset.rules())
        if (rule.target.form === "alias") named.add(rule.target.alias);
    let changed = false;
    for (const alias of this.ruleAliases.keys())
      if (!named.has(alias)) this.ruleAliases.delete(alias);
    for (const alias of named) {
      const resolved = await this.options.port.resolveAlias(alias);
      // Unreachable: keep what we knew. Not found: the alias names nothing now.
      if (!resolved.ok && resolved.error.kind !== "not_found") continue;
      const id = resolved.ok ? resolved.value : undefined;
      if (this.ruleAliases.get(alias) !== id || !this.ruleAliases.has(alias)) changed = true;
      this.ruleAliases.set(alias, id);
    }
    return changed;
  }

  private emit(change: PolicyChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private backoffMs(failures: number): number {
    const { minMs, maxMs } = this.backoff;
    const ms = Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 20));
    return ms / 2 + Math.random() * (ms / 2); // jitter: followers do not retry in step
  }
}

function namesAlias(event: unknown): boolean {
  const entity = (event as { content?: { entity?: unknown } }).content?.entity;
  return typeof entity === "string" && entity.startsWith("#");
}

function countRules(ruleset: PolicyRuleset): number {
  let n = 0;
  for (const _ of ruleset.rules()) n++;
  return n;
}

function emptyCounts() {
  return new PolicyRuleset().counts();
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
