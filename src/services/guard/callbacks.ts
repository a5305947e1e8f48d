/**
 * Decoding callback bodies (shared/reference/synapse-http-antispam.md, "Request") into
 * the gates' typed attempts, once, at the edge. A body that does not decode is an
 * expected failure value: the service answers it by the callback's fail mode.
 */
import { parseRoomId, parseUserId, type RoomId, type UserId } from "../../core/ids.js";
import { err, ok, type Result } from "../../core/result.js";
import type { InviteAttempt } from "./invite-gate.js";
import type { JoinAttempt } from "./join-gate.js";
import type { PublishAttempt } from "./publish-gate.js";
import type { RoomTexts } from "./synapse-admin.js";

type Body = Readonly<Record<string, unknown>>;

function ids(user: unknown, room: unknown): Result<{ user: UserId; room: RoomId }, string> {
  const u = parseUserId(user);
  if (!u.ok) return err(u.error);
  const r = parseRoomId(room);
  if (!r.ok) return err(r.error);
  return ok({ user: u.value, room: r.value });
}

/** `user_may_join_room`: `{user, room, is_invited}`. */
export function decodeJoin(body: Body): Result<JoinAttempt, string> {
  const parsed = ids(body["user"], body["room"]);
  if (!parsed.ok) return parsed;
  return ok({ ...parsed.value, invited: body["is_invited"] === true });
}

/** `user_may_invite`: `{inviter, invitee, room_id}` (Synapse asks it for local inviters). */
export function decodeLocalInvite(body: Body): Result<InviteAttempt, string> {
  const inviter = ids(body["inviter"], body["room_id"]);
  if (!inviter.ok) return inviter;
  const invitee = parseUserId(body["invitee"]);
  if (!invitee.ok) return err(invitee.error);
  return ok({
    inviter: inviter.value.user,
    invitee: invitee.value,
    room: inviter.value.room,
    remote: false,
  });
}

/** `user_may_publish_room`: `{user_id, room_id}`. */
export function decodePublish(body: Body): Result<PublishAttempt, string> {
  return ids(body["user_id"], body["room_id"]);
}

/**
 * `federated_user_may_invite`: `{event}`, the invite event in client format whose
 * `unsigned.invite_room_state` carries the room's stripped state (name, topic, …).
 */
export function decodeFederatedInvite(body: Body): Result<InviteAttempt, string> {
  const event = body["event"];
  if (typeof event !== "object" || event === null) return err("event must be an object");
  const e = event as Body;
  const inviter = ids(e["sender"], e["room_id"]);
  if (!inviter.ok) return inviter;
  const invitee = parseUserId(e["state_key"]);
  if (!invitee.ok) return err(invitee.error);
  const unsigned = e["unsigned"];
  const state =
    typeof unsigned === "object" && unsigned !== null
      ? (unsigned as Body)["invite_room_state"]
      : undefined;
  return ok({
    inviter: inviter.value.user,
    invitee: invitee.value,
    room: inviter.value.room,
    remote: true,
    texts: strippedTexts(Array.isArray(state) ? state : []),
  });
}

/** Name and topic from stripped state events (`m.room.topic` or MSC3765 `m.topic` blocks). */
export function strippedTexts(state: readonly unknown[]): RoomTexts {
  let name: string | undefined;
  let topic: string | undefined;
  for (const item of state) {
    if (typeof item !== "object" || item === null) continue;
    const { type, content } = item as Body;
    if (typeof content !== "object" || content === null) continue;
    const c = content as Body;
    if (type === "m.room.name" && typeof c["name"] === "string") name = c["name"]; // whole: the term matcher's cost is linear in the text
    if (type === "m.room.topic") topic = topicText(c);
  }
  return { ...(name === undefined ? {} : { name }), ...(topic === undefined ? {} : { topic }) };
}

function topicText(content: Body): string | undefined {
  if (typeof content["topic"] === "string") return content["topic"];
  const blocks = content["m.topic"];
  if (!Array.isArray(blocks)) return undefined;
  const text = blocks
    .map((b) => (typeof b === "object" && b !== null ? (b as Body)["body"] : undefined))
    .filter((t): t is string => typeof t === "string")
    .join(" ");
  return text === "" ? undefined : text;
}
