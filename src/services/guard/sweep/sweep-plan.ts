/**
 * What a sweep does about what it found, as a plain function of the facts: the rooms with
 * local invites or members, which of them are listed, which invited rooms' names or topics
 * match the term lists, and the configured policy. Pure, so the whole decision table is
 * tested with plain calls (sweep-plan.test.ts).
 */
import type { RoomId, UserId } from "../../../core/ids.js";
import type { ListedRoom } from "../lookup/lookup-client.js";
import type { MemberAction } from "./sweep-ports.js";

/** The local users invited to and joined to one room. */
export interface RoomPeople {
  readonly invited: ReadonlySet<UserId>;
  readonly joined: ReadonlySet<UserId>;
}

/** The sweep policy (`guard.sweep`). */
export interface SweepPolicy {
  readonly rejectPendingInvites: boolean;
  readonly membersOfListedRooms: readonly MemberAction[];
}

/** One step of a sweep, in the order it is to be taken. */
export type PlannedStep =
  | {
      readonly action: "reject_invite";
      readonly room: RoomId;
      readonly user: UserId;
      readonly because: "listed" | "terms";
      readonly listed: ListedRoom | undefined;
    }
  | {
      readonly action: "alert" | "block" | "purge" | "quarantine_media";
      readonly room: RoomId;
      readonly listed: ListedRoom;
      readonly members: number;
    }
  | {
      readonly action: "evict";
      readonly room: RoomId;
      readonly user: UserId;
      readonly listed: ListedRoom;
    };

/**
 * Room-wide actions in the order they make sense: media is quarantined before a purge
 * deletes the room, local users leave before the room is blocked or purged.
 */
const ROOM_ORDER = ["alert", "quarantine_media", "evict", "block", "purge"] as const;

/** The steps for these facts. */
export function planSweep(
  rooms: ReadonlyMap<RoomId, RoomPeople>,
  listed: ReadonlyMap<RoomId, ListedRoom>,
  termRooms: ReadonlySet<RoomId>,
  policy: SweepPolicy,
): PlannedStep[] {
  const steps: PlannedStep[] = [];
  const memberActions = new Set<MemberAction>(["alert", ...policy.membersOfListedRooms]);
  for (const [room, people] of rooms) {
    const match = listed.get(room);
    if (policy.rejectPendingInvites && (match !== undefined || termRooms.has(room))) {
      for (const user of people.invited) {
        const because = match !== undefined ? "listed" : "terms";
        steps.push({ action: "reject_invite", room, user, because, listed: match });
      }
    }
    if (match === undefined || people.joined.size === 0) continue;
    for (const action of ROOM_ORDER) {
      if (!memberActions.has(action)) continue;
      if (action === "evict") {
        for (const user of people.joined) steps.push({ action, room, user, listed: match });
      } else {
        steps.push({ action, room, listed: match, members: people.joined.size });
      }
    }
  }
  return steps;
}
