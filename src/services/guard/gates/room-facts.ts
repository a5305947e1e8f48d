/**
 * What the gates need to know about the homeserver, as role interfaces owned by the gates:
 * whether a user is already in a room, and a room's name and topic. The Synapse adapter
 * (`../synapse/membership.ts`) implements them; without an admin token nothing is known.
 */
import type { RoomId, UserId } from "../../../core/ids.js";
import type { RoomTexts } from "../../../protocol/antispam.js";

export type { RoomTexts } from "../../../protocol/antispam.js";

/** Whether a user is joined to a room; undefined when it cannot be known. */
export interface Membership {
  isJoined(user: UserId, room: RoomId): Promise<boolean | undefined>;
}

/** A room's name and topic; undefined when unknown. */
export interface RoomTextSource {
  textsOf(room: RoomId): Promise<RoomTexts | undefined>;
}

/** Knows nothing: the guard runs without an admin token. */
export const UNKNOWN_MEMBERSHIP: Membership & RoomTextSource = {
  isJoined: () => Promise.resolve(undefined),
  textsOf: () => Promise.resolve(undefined),
};
