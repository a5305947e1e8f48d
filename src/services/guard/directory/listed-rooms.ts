/**
 * Which rooms of a directory page are listed, asked of the lookup service's batch `check`
 * (the `directory` scope; never counts toward a freeze, counts against the client's
 * quota) in batches of at most 100, with a verdict cache.
 *
 * Unlike the join gate's clean-only cache, listed verdicts are cached too: nothing here
 * counts toward a freeze, so a repeat question would only spend quota. When the lookup
 * service does not answer, verdicts up to `staleMs` old still count ("stale if error"),
 * so an outage hides at most the rooms never seen before; those are reported back as
 * unchecked for the configured fail mode. A 429 (the client's quota) is the same for the
 * page, but it is no outage: no degraded alert, and no batch is asked until the delay the
 * lookup service named has passed.
 */
import type { RoomId } from "../../../core/ids.js";
import { SlidingWindowLimiter } from "../../../core/rate-limit.js";
import type { LookupClient } from "../lookup/lookup-client.js";
import type { ListedRoom } from "../gates/verdict.js";

/** The lookup service accepts at most this many hashes per batch check (docs/api.md). */
export const MAX_CHECK_BATCH = 100;
/** Batches asked at once for one page (a federated full listing may have thousands). */
const PARALLEL_BATCHES = 4;

/** The verdicts for one set of rooms. */
export interface RoomVerdicts {
  readonly listed: ReadonlyMap<RoomId, ListedRoom>;
  /** Rooms neither the lookup service nor a usable cached verdict could answer for. */
  readonly unchecked: ReadonlySet<RoomId>;
}

/** Settings of {@link ListedRooms}. */
export interface ListedRoomsOptions {
  readonly lookup: LookupClient;
  readonly ttlMs: number;
  readonly staleMs: number;
  readonly maxEntries: number;
  /**
   * Most room hashes asked per minute. Directory checks share the client's quota at the
   * lookup service with joins; this budget keeps a crawler paging through a huge remote
   * directory from spending it (rooms beyond it count as unchecked).
   */
  readonly hashesPerMinute: number;
  readonly now: () => number;
  /** Told when the budget refuses a batch. */
  readonly onBudgetExceeded?: () => void;
  /**
   * Told when a batch is refused by the lookup service's quota (429) or not asked because
   * it said to wait: rate limited, not degraded (its rooms count as unchecked).
   */
  readonly onRateLimited?: () => void;
}

interface Entry {
  readonly listed: ListedRoom | undefined;
  readonly at: number;
}

type BatchAnswer = ReadonlyMap<RoomId, ListedRoom | undefined> | undefined;
type Settle = (answer: BatchAnswer) => void;

/** Directory verdicts: cached, batched, de-duplicated while in flight. */
export class ListedRooms {
  private readonly cache = new Map<RoomId, Entry>();
  private readonly inFlight = new Map<RoomId, Promise<BatchAnswer>>();
  private readonly budget: SlidingWindowLimiter;
  /** Until when the lookup service asked us to wait (its 429's retry_after_ms). */
  private quietUntil = 0;

  constructor(private readonly options: ListedRoomsOptions) {
    this.budget = new SlidingWindowLimiter({ limit: options.hashesPerMinute, windowMs: 60_000 });
  }

  /** Rooms with a cached verdict. */
  get size(): number {
    return this.cache.size;
  }

  /** The verdicts for `rooms` (duplicates allowed). */
  async verdicts(rooms: readonly RoomId[]): Promise<RoomVerdicts> {
    const now = this.options.now();
    const listed = new Map<RoomId, ListedRoom>();
    const unchecked = new Set<RoomId>();
    const missing: RoomId[] = [];
    for (const room of new Set(rooms)) {
      const entry = this.cache.get(room);
      if (entry !== undefined && now - entry.at < this.options.ttlMs) {
        if (entry.listed !== undefined) listed.set(room, entry.listed);
      } else missing.push(room);
    }
    const answers = await this.ask(missing);
    for (const [room, answer] of answers) {
      if (answer !== undefined) {
        const verdict = answer.get(room);
        if (verdict !== undefined) listed.set(room, verdict);
        continue;
      }
      const stale = this.cache.get(room);
      if (stale !== undefined && now - stale.at < this.options.staleMs) {
        if (stale.listed !== undefined) listed.set(room, stale.listed);
      } else unchecked.add(room);
    }
    return { listed, unchecked };
  }

  /** Asks about rooms not already being asked about; joins the questions under way. */
  private async ask(rooms: readonly RoomId[]): Promise<[RoomId, BatchAnswer][]> {
    const fresh = rooms.filter((room) => !this.inFlight.has(room));
    const batches: { rooms: RoomId[]; answer: Promise<BatchAnswer>; settle: Settle }[] = [];
    for (let i = 0; i < fresh.length; i += MAX_CHECK_BATCH) {
      let settle!: Settle;
      const answer = new Promise<BatchAnswer>((resolve) => (settle = resolve));
      const batch = fresh.slice(i, i + MAX_CHECK_BATCH);
      for (const room of batch) this.inFlight.set(room, answer);
      batches.push({ rooms: batch, answer, settle });
    }
    const waits = rooms.map((room) => [room, this.inFlight.get(room)] as const);
    for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) {
      await Promise.all(
        batches.slice(i, i + PARALLEL_BATCHES).map(async ({ rooms: batch, answer, settle }) => {
          const verdicts = await this.checkBatch(batch).catch(() => undefined);
          for (const room of batch)
            if (this.inFlight.get(room) === answer) this.inFlight.delete(room);
          settle(verdicts);
        }),
      );
    }
    return Promise.all(
      waits.map(async ([room, wait]) => [room, await wait] as [RoomId, BatchAnswer]),
    );
  }

  private async checkBatch(batch: readonly RoomId[]): Promise<BatchAnswer> {
    if (!this.budget.consume("directory", this.options.now(), batch.length).allowed) {
      this.options.onBudgetExceeded?.();
      return undefined;
    }
    if (this.options.now() < this.quietUntil) {
      this.options.onRateLimited?.();
      return undefined;
    }
    const result = await this.options.lookup.check(batch);
    if (result.kind === "rate_limited") {
      // Asking again before the delay would only be refused again and spend quota.
      this.quietUntil = Math.max(this.quietUntil, this.options.now() + result.retryAfterMs);
      this.options.onRateLimited?.();
      return undefined;
    }
    if (result.kind !== "checked") return undefined;
    const at = this.options.now();
    const answer = new Map<RoomId, ListedRoom | undefined>();
    for (const room of batch) {
      const listed = result.listed.get(room);
      answer.set(room, listed);
      this.remember(room, { listed, at });
    }
    return answer;
  }

  private remember(room: RoomId, entry: Entry): void {
    this.cache.delete(room);
    this.cache.set(room, entry);
    if (this.cache.size > this.options.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
  }
}
