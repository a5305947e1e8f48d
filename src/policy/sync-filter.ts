/**
 * The `/sync` filters of a policy room follower (spec, client-server API "Filtering"):
 * only the followed rooms, only policy rule state and the redactions that can remove a
 * rule — no presence, account data, receipts or typing — so a long-poll wakes up for a
 * rule change and for nothing else.
 */
import type { RoomId } from "../core/ids.js";

/** Every state event type that carries a policy rule (MSC2313 and the names before it). */
export const POLICY_EVENT_TYPES: readonly string[] = ["room", "user", "server"].flatMap((kind) =>
  ["m.policy.rule.", "m.room.rule.", "org.matrix.mjolnir.rule."].map((prefix) => prefix + kind),
);

const NOTHING = { not_types: ["*"] };

/** The inline filter of an incremental sync of `rooms`. */
export function policySyncFilter(rooms: readonly RoomId[]): string {
  return JSON.stringify({
    presence: NOTHING,
    account_data: NOTHING,
    room: {
      rooms,
      include_leave: true,
      state: { types: POLICY_EVENT_TYPES, lazy_load_members: false },
      timeline: { types: [...POLICY_EVENT_TYPES, "m.room.redaction"], limit: 200 },
      ephemeral: NOTHING,
      account_data: NOTHING,
    },
  });
}

/**
 * A filter naming no room: the first sync only fetches a position in the event stream
 * (`next_batch`), and each room's state is then read whole from `/rooms/{id}/state`.
 */
export const POSITION_ONLY_FILTER = JSON.stringify({
  presence: NOTHING,
  account_data: NOTHING,
  room: { rooms: [] },
});
