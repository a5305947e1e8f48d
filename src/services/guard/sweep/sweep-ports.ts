/**
 * The roles a sweep talks to, defined here and implemented elsewhere: the homeserver's
 * admin API (synapse/sweep-homeserver.ts) and the record of actions taken
 * (sweep-ledger.ts). Every expected failure is a value; a sweep counts it and goes on.
 */
import type { RoomId, UserId } from "../../../core/ids.js";
import type { Result } from "../../../core/result.js";

/** What a sweep may do to a listed room with local members (`guard.sweep.members_of_listed_rooms`). */
export type MemberAction = "alert" | "evict" | "block" | "purge" | "quarantine_media";

/** Every action a sweep records: the member actions and rejecting a pending invite. */
export type SweepAction = MemberAction | "reject_invite";

/** A local user's memberships that a sweep looks at. */
export type SweptMembership = "invite" | "join";

/** Why an admin API call did not do its work: the target is gone, or another failure. */
export type HomeserverFailure =
  { readonly kind: "gone" } | { readonly kind: "failed"; readonly reason: string };

/** The homeserver, as a sweep sees it (Synapse admin API). */
export interface SweepHomeserver {
  /** Local user ids, one page at a time, from `from` (undefined: the first page). */
  usersPage(
    from: string | undefined,
  ): Promise<Result<{ users: readonly UserId[]; next: string | undefined }, string>>;
  /** The rooms a local user is invited to or joined. */
  memberships(
    user: UserId,
  ): Promise<Result<ReadonlyMap<RoomId, SweptMembership>, HomeserverFailure>>;
  /** A room's name and topic as this server knows them (undefined: unknown room). */
  roomTexts(room: RoomId): Promise<Result<readonly string[], HomeserverFailure>>;
  /** Makes a local user leave a room (rejects a pending invite), acting as that user. */
  leaveAs(user: UserId, room: RoomId): Promise<Result<void, HomeserverFailure>>;
  /** Blocks a room: no local user can join it again. */
  block(room: RoomId): Promise<Result<void, HomeserverFailure>>;
  /** Shuts a room down and purges it from the database. */
  purge(room: RoomId, block: boolean): Promise<Result<void, HomeserverFailure>>;
  /** Quarantines the room's media. */
  quarantineMedia(room: RoomId): Promise<Result<void, HomeserverFailure>>;
}

/** One action's key in the ledger; `user` is undefined for an action on the whole room. */
export interface ActionKey {
  readonly room: RoomId;
  readonly user: UserId | undefined;
  readonly action: SweepAction;
}

/** Where a sweep records actions, so a restart neither repeats nor forgets one. */
export interface SweepLedger {
  /** Whether the action was begun (and not finished) or finished before. */
  state(key: ActionKey): Promise<"started" | "done" | undefined>;
  /** Records that the action is about to be taken. */
  begin(key: ActionKey, now: number): Promise<void>;
  /** Records that the action was taken. */
  finish(key: ActionKey, now: number): Promise<void>;
}
