/**
 * Facts about the homeserver the gates need, with small caches: whether a user is already
 * in a room, and a local room's name and topic. Synapse calls `user_may_join_room` again
 * for re-joins and for every joined room on a display-name or avatar change (verified on
 * Synapse 1.163); those are not new attempts and must never count toward a freeze, so the
 * join gate asks here before it counts a listed room (only then: a clean room needs no
 * answer). Without an admin token nothing is known (answers undefined).
 */
import type { RoomId, UserId } from "../../../core/ids.js";
import type { Membership, RoomTexts, RoomTextSource } from "../gates/room-facts.js";
import type { SynapseAdmin } from "./synapse-admin.js";

const MAX_CACHED = 10_000;

/**
 * A TTL cache of async lookups by key, sharing one in-flight request per key: a profile
 * change fires one callback per joined room in quick succession, and they need one answer.
 */
class SharedTtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>();
  private readonly inFlight = new Map<K, Promise<V | undefined>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** The cached value, if still fresh. */
  peek(key: K): V | undefined {
    const cached = this.entries.get(key);
    return cached !== undefined && cached.expires > this.now() ? cached.value : undefined;
  }

  /** Loads the value now (joining a load already under way) and caches it. */
  async fetch(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const loading = load().then((value) => {
      this.inFlight.delete(key);
      if (value !== undefined && this.ttlMs > 0) {
        this.entries.delete(key);
        this.entries.set(key, { value, expires: this.now() + this.ttlMs });
        if (this.entries.size > MAX_CACHED) {
          const oldest = this.entries.keys().next();
          if (oldest.done !== true) this.entries.delete(oldest.value);
        }
      }
      return value;
    });
    this.inFlight.set(key, loading);
    return loading;
  }
}

/** Membership and room texts from the Synapse admin API. */
export class AdminApiFacts implements Membership, RoomTextSource {
  private readonly joined: SharedTtlCache<UserId, ReadonlySet<RoomId>>;
  private readonly texts: SharedTtlCache<RoomId, RoomTexts>;

  constructor(
    private readonly admin: SynapseAdmin,
    membershipTtlMs: number,
    now: () => number,
    private readonly onFailure: (what: string, reason: string) => void,
  ) {
    this.joined = new SharedTtlCache(membershipTtlMs, now);
    this.texts = new SharedTtlCache(Math.max(membershipTtlMs, 30_000), now);
  }

  /**
   * Only "joined" is answered from the cache. "Not joined" is always asked afresh: the
   * user's rooms may have been cached just before this very join completed, and a stale
   * "not joined" would count a profile change toward a freeze. A stale "joined" (the user
   * left since) only means a non-counting check instead of a lookup.
   */
  async isJoined(user: UserId, room: RoomId): Promise<boolean | undefined> {
    if (this.joined.peek(user)?.has(room) === true) return true;
    const rooms = await this.joined.fetch(user, async () => {
      const result = await this.admin.joinedRooms(user);
      if (result.ok) return result.value;
      this.onFailure("joined_rooms", result.error);
      return undefined;
    });
    return rooms?.has(room);
  }

  async textsOf(room: RoomId): Promise<RoomTexts | undefined> {
    return (
      this.texts.peek(room) ??
      this.texts.fetch(room, async () => {
        const result = await this.admin.roomTexts(room);
        if (result.ok) return result.value;
        this.onFailure("room_details", result.error);
        return undefined;
      })
    );
  }
}
