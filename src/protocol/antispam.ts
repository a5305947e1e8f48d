/**
 * The synapse-http-antispam wire contract (its README; Synapse's spam-checker module API):
 * the callback bodies the guard decodes, once, at the edge into typed attempts, and the
 * answers it writes. `200 {}` allows; `403 {errcode, error}` (any other non-200 JSON with
 * an errcode) refuses with that error; anything else is a failure that the module's own
 * `fail_open` setting answers.
 */
import { z } from "zod";
import { err, ok, type Result } from "../core/result.js";
import type { RoomId, UserId } from "../core/ids.js";
import { roomIdSchema, userIdSchema } from "./ids.js";

/** The texts of a room that term lists are matched against (whole: matching is linear). */
export interface RoomTexts {
  readonly name?: string;
  readonly topic?: string;
}

/** `user_may_join_room`: `{user, room, is_invited}`. */
export const joinRequest = z
  .object({ user: userIdSchema, room: roomIdSchema, is_invited: z.unknown().optional() })
  .transform((b) => ({ user: b.user, room: b.room, invited: b.is_invited === true }));

/** `user_may_invite`: `{inviter, invitee, room_id}` (Synapse asks it for local inviters). */
export const localInviteRequest = z
  .object({ inviter: userIdSchema, invitee: userIdSchema, room_id: roomIdSchema })
  .transform((b) => ({ inviter: b.inviter, invitee: b.invitee, room: b.room_id, remote: false }));

/** `user_may_publish_room`: `{user_id, room_id}`. */
export const publishRequest = z
  .object({ user_id: userIdSchema, room_id: roomIdSchema })
  .transform((b) => ({ user: b.user_id, room: b.room_id }));

/**
 * `federated_user_may_invite`: `{event}`, the invite event in client format whose
 * `unsigned.invite_room_state` carries the room's stripped state (name, topic, …). The
 * stripped state is the remote server's word: any item that does not decode is skipped.
 */
export const federatedInviteRequest = z
  .object({
    event: z.object({
      sender: userIdSchema,
      room_id: roomIdSchema,
      state_key: userIdSchema,
      // The remote server's word: anything but an object carries no stripped state.
      unsigned: z.unknown().optional(),
    }),
  })
  .transform(({ event }) => {
    const unsigned = event.unsigned;
    const state =
      typeof unsigned === "object" && unsigned !== null
        ? (unsigned as { invite_room_state?: unknown }).invite_room_state
        : undefined;
    return {
      inviter: event.sender,
      invitee: event.state_key,
      room: event.room_id,
      remote: true,
      texts: strippedTexts(Array.isArray(state) ? state : []),
    };
  });

/** A decoded join attempt. */
export interface JoinRequest {
  readonly user: UserId;
  readonly room: RoomId;
  readonly invited: boolean;
}

/** A decoded invite, local or federated. */
export interface InviteRequest {
  readonly inviter: UserId;
  readonly invitee: UserId;
  readonly room: RoomId;
  readonly remote: boolean;
  readonly texts?: RoomTexts;
}

/** A decoded publication. */
export interface PublishRequest {
  readonly user: UserId;
  readonly room: RoomId;
}

function decodeWith<T>(
  schema: z.ZodType<T>,
  body: Readonly<Record<string, unknown>>,
): Result<T, string> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0];
  const where = issue?.path.join(".") ?? "";
  const what = issue?.code === "invalid_type" ? `must be ${issue.expected}` : issue?.message;
  return err(`${where === "" ? "body" : where} ${what ?? "does not decode"}`);
}

export const decodeJoin = (body: Readonly<Record<string, unknown>>): Result<JoinRequest, string> =>
  decodeWith(joinRequest, body);
export const decodeLocalInvite = (
  body: Readonly<Record<string, unknown>>,
): Result<InviteRequest, string> => decodeWith(localInviteRequest, body);
export const decodeFederatedInvite = (
  body: Readonly<Record<string, unknown>>,
): Result<InviteRequest, string> => decodeWith(federatedInviteRequest, body);
export const decodePublish = (
  body: Readonly<Record<string, unknown>>,
): Result<PublishRequest, string> => decodeWith(publishRequest, body);

const strippedEvent = z.object({ type: z.string(), content: z.record(z.string(), z.unknown()) });

/** Name and topic from stripped state events (`m.room.topic` or MSC3765 `m.topic` blocks). */
export function strippedTexts(state: readonly unknown[]): RoomTexts {
  let name: string | undefined;
  let topic: string | undefined;
  for (const item of state) {
    const event = strippedEvent.safeParse(item);
    if (!event.success) continue;
    const { type, content } = event.data;
    if (type === "m.room.name" && typeof content["name"] === "string") name = content["name"];
    if (type === "m.room.topic") topic = topicText(content);
  }
  return { ...(name === undefined ? {} : { name }), ...(topic === undefined ? {} : { topic }) };
}

const topicBlocks = z.array(z.object({ body: z.string() }).loose().or(z.unknown()));

function topicText(content: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof content["topic"] === "string") return content["topic"];
  const blocks = topicBlocks.safeParse(content["m.topic"]);
  if (!blocks.success) return undefined;
  const text = blocks.data
    .map((b) => (typeof b === "object" && b !== null ? (b as { body?: unknown }).body : undefined))
    .filter((t): t is string => typeof t === "string")
    .join(" ");
  return text === "" ? undefined : text;
}

/** The answer that allows: `200 {}`. */
export const ALLOW_BODY = {} as const;

/** The refusal body Synapse passes to the client: `{errcode, error}` (403). */
export interface RefusalBody {
  readonly errcode: string;
  readonly error: string;
  readonly retry_after_ms?: number;
  readonly [extra: string]: unknown;
}
