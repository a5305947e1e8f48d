/**
 * The clean verdict cache: rooms the lookup service recently answered "not listed" for.
 * Only clean verdicts are ever cached, so every attempt on a listed room still reaches the
 * lookup service, which counts the attempts that lead to a freeze (spec, "Account
 * Freezes"). Bounded: when full, the oldest entry goes (a Map keeps insertion order).
 */
import type { RoomId } from "../../../core/ids.js";

/** Rooms recently found unlisted, each until its expiry. */
export class CleanVerdictCache {
  private readonly expiries = new Map<RoomId, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** Whether `room` was found unlisted less than the TTL ago. */
  isClean(room: RoomId, now: number): boolean {
    const expiry = this.expiries.get(room);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.expiries.delete(room);
    return false;
  }

  /** Remembers a clean verdict. */
  rememberClean(room: RoomId, now: number): void {
    if (this.maxEntries === 0 || this.ttlMs === 0) return;
    this.expiries.delete(room); // re-insert at the end: the newest entry
    this.expiries.set(room, now + this.ttlMs);
    while (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next();
      if (oldest.done === true) break;
      this.expiries.delete(oldest.value);
    }
  }

  /** Forgets a room, e.g. when it has just been found listed. */
  forget(room: RoomId): void {
    this.expiries.delete(room);
  }

  get size(): number {
    return this.expiries.size;
  }
}
