/**
 * A homeserver in memory for sweep tests: local users, their invites and joined rooms,
 * room names, blocked and purged rooms, and switches for failures. Synthetic ids only.
 */
import type { RoomId, UserId } from "../../src/core/ids.js";
import { err, ok, type Result } from "../../src/core/result.js";
import type {
  HomeserverFailure,
  SweepHomeserver,
  SweptMembership,
} from "../../src/services/guard/sweep/sweep-ports.js";

/** A fake of what sweeps ask of Synapse's admin API. */
export class FakeSweepHomeserver implements SweepHomeserver {
  readonly rooms = new Map<UserId, Map<RoomId, SweptMembership>>();
  readonly texts = new Map<RoomId, string[]>();
  readonly blocked = new Set<RoomId>();
  readonly purged = new Set<RoomId>();
  readonly quarantined = new Set<RoomId>();
  /** Every action call, in order ("leave @u !r", "block !r", …). */
  readonly calls: string[] = [];
  /** Users per page (Synapse's default is 100). */
  pageSize = 100;
  /** Calls whose name is here fail (e.g. "leave", "memberships", "users"). */
  readonly failing = new Set<string>();
  /** Users whose memberships answer 404 (deleted mid-sweep). */
  readonly gone = new Set<UserId>();

  user(id: string, rooms: Record<string, SweptMembership> = {}): this {
    const map = new Map<RoomId, SweptMembership>();
    for (const [room, m] of Object.entries(rooms)) map.set(room as RoomId, m);
    this.rooms.set(id as UserId, map);
    return this;
  }

  membership(user: string, room: string): SweptMembership | undefined {
    return this.rooms.get(user as UserId)?.get(room as RoomId);
  }

  async usersPage(from: string | undefined) {
    if (this.failing.has("users")) return err("HTTP 500 M_UNKNOWN");
    const all = [...this.rooms.keys()];
    const start = from === undefined ? 0 : Number(from);
    const end = start + this.pageSize;
    return ok({ users: all.slice(start, end), next: end < all.length ? String(end) : undefined });
  }

  async memberships(
    user: UserId,
  ): Promise<Result<ReadonlyMap<RoomId, SweptMembership>, HomeserverFailure>> {
    if (this.gone.has(user)) return err({ kind: "gone" });
    if (this.failing.has("memberships")) return err({ kind: "failed", reason: "HTTP 502" });
    return ok(new Map(this.rooms.get(user)));
  }

  async roomTexts(room: RoomId): Promise<Result<readonly string[], HomeserverFailure>> {
    const texts = this.texts.get(room);
    return texts === undefined ? err({ kind: "gone" }) : ok(texts);
  }

  async leaveAs(user: UserId, room: RoomId): Promise<Result<void, HomeserverFailure>> {
    this.calls.push(`leave ${user} ${room}`);
    if (this.failing.has("leave")) return err({ kind: "failed", reason: "timeout" });
    this.rooms.get(user)?.delete(room);
    return ok(undefined);
  }

  async block(room: RoomId): Promise<Result<void, HomeserverFailure>> {
    this.calls.push(`block ${room}`);
    if (this.failing.has("block")) return err({ kind: "failed", reason: "HTTP 500" });
    this.blocked.add(room);
    return ok(undefined);
  }

  async purge(room: RoomId, block: boolean): Promise<Result<void, HomeserverFailure>> {
    this.calls.push(`purge ${room}${block ? " block" : ""}`);
    this.purged.add(room);
    for (const rooms of this.rooms.values()) rooms.delete(room);
    return ok(undefined);
  }

  async quarantineMedia(room: RoomId): Promise<Result<void, HomeserverFailure>> {
    this.calls.push(`quarantine ${room}`);
    this.quarantined.add(room);
    return ok(undefined);
  }
}
