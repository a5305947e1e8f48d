/**
 * What a gate decides, as values: a verdict (allow or refuse, with the reason counted in
 * metrics and the message the user sees) plus the events the decision gave rise to
 * (alerts, suspensions). Gates return both; `reactions.ts` acts on the events later, so
 * nothing slow or fallible ever sits between Synapse's question and our answer.
 */
import type { RoomId, UserId } from "../../../core/ids.js";
import type { ListedRoom } from "../lookup/lookup-client.js";
import type { LookupHealthEvent } from "../lookup/lookup-monitor.js";

export type { ListedRoom } from "../lookup/lookup-client.js";

/** What a gate answers when the lookup service cannot: allow (`open`) or refuse (`closed`). */
export type FailMode = "open" | "closed";

/** The callbacks the guard decides; every other callback name is answered `200 {}`. */
export const GATED_CALLBACKS = [
  "user_may_join_room",
  "user_may_invite",
  "federated_user_may_invite",
  "user_may_publish_room",
] as const;
/** A callback the guard decides. */
export type GatedCallback = (typeof GATED_CALLBACKS)[number];

/** Which refusal text the user (or inviting server) sees; see `guard.messages`. */
export type MessageKind =
  | "join_refused"
  | "account_restricted"
  | "invite_refused"
  | "publish_refused"
  | "rate_limited"
  | "unavailable";

/** Why a request was allowed (a metrics label). */
export type AllowReason = "clean" | "cached_clean" | "already_joined" | "fail_open" | "not_checked";

/** Why a request was refused (a metrics label). */
export type RefuseReason =
  | "listed"
  | "frozen"
  | "rate_limited"
  | "fail_closed"
  | "listed_member"
  | "server_policy"
  | "room_terms"
  | "policy_rule"
  | "malformed";

/** The answer to one callback. */
export type Verdict =
  | { readonly allow: true; readonly reason: AllowReason }
  | {
      readonly allow: false;
      readonly reason: RefuseReason;
      readonly message: MessageKind;
      readonly retryAfterMs?: number;
    };

/** Things that happened while deciding, for alerts and account actions. */
export type GuardEvent =
  | {
      readonly kind: "join_refused";
      readonly user: UserId;
      readonly room: RoomId;
      readonly listed: ListedRoom;
      readonly invited: boolean;
    }
  | {
      readonly kind: "account_frozen";
      readonly user: UserId;
      /** Whether the user is on this homeserver (only local accounts are suspended). */
      readonly local: boolean;
      /** `hit`: this lookup froze it; `lookup`: the lookup service already had it frozen. */
      readonly via: "hit" | "lookup";
    }
  | {
      readonly kind: "found_inside";
      readonly user: UserId;
      readonly room: RoomId;
      readonly listed: ListedRoom;
    }
  | {
      readonly kind: "publish_refused";
      readonly user: UserId;
      readonly room: RoomId;
      readonly reason: "listed" | "room_terms";
      /** Set for a listed room. */
      readonly listed?: ListedRoom;
      /** The term list that matched the room's name or topic. */
      readonly listId?: string;
    }
  | {
      readonly kind: "invite_refused";
      readonly inviter: UserId;
      readonly room: RoomId;
      readonly reason: RefuseReason;
      /** The server rule or term list id behind a policy refusal. */
      readonly detail?: string;
    }
  /** A gate decided by its fail mode because the lookup service did not answer. */
  | { readonly kind: "fail_mode_applied"; readonly mode: FailMode }
  | LookupHealthEvent;

/** A verdict and the events behind it. */
export interface Decision {
  readonly verdict: Verdict;
  readonly events: readonly GuardEvent[];
}

/** An allow verdict. */
export function allow(reason: AllowReason, events: readonly GuardEvent[] = []): Decision {
  return { verdict: { allow: true, reason }, events };
}

/** A refusal verdict. */
export function refuse(
  reason: RefuseReason,
  message: MessageKind,
  events: readonly GuardEvent[] = [],
  retryAfterMs?: number,
): Decision {
  const verdict =
    retryAfterMs === undefined
      ? { allow: false as const, reason, message }
      : { allow: false as const, reason, message, retryAfterMs };
  return { verdict, events };
}
