/**
 * The Synapse admin API calls the guard makes with `guard.admin_token_file`: a user's
 * joined rooms (to tell a re-join or profile change from a new attempt), a room's name and
 * topic (to check local invites against term lists), and account suspension (freezes).
 */
import { parseRoomId, type RoomId, type UserId } from "../../../core/ids.js";
import { err, ok, type Result } from "../../../core/result.js";
import type { RoomTexts } from "../gates/room-facts.js";
import { describeFailure, jsonField, segment, type MatrixCall } from "./matrix-http.js";

/** Synapse admin API client. */
export class SynapseAdmin {
  constructor(private readonly call: MatrixCall) {}

  /** The rooms a local user is joined to. */
  async joinedRooms(user: UserId): Promise<Result<ReadonlySet<RoomId>, string>> {
    const answer = await this.call("GET", `/_synapse/admin/v1/users/${segment(user)}/joined_rooms`);
    if (!answer.ok) return answer;
    if (answer.value.status !== 200) return err(describeFailure(answer.value));
    const rooms = jsonField(answer.value.body, "joined_rooms");
    if (!Array.isArray(rooms)) return err("an answer without joined_rooms");
    const joined = new Set<RoomId>();
    for (const room of rooms) {
      const parsed = parseRoomId(room);
      if (parsed.ok) joined.add(parsed.value);
    }
    return ok(joined);
  }

  /** A room's name and topic, as far as this server knows the room. */
  async roomTexts(room: RoomId): Promise<Result<RoomTexts, string>> {
    const answer = await this.call("GET", `/_synapse/admin/v1/rooms/${segment(room)}`);
    if (!answer.ok) return answer;
    if (answer.value.status === 404) return ok({});
    if (answer.value.status !== 200) return err(describeFailure(answer.value));
    const name = jsonField(answer.value.body, "name");
    const topic = jsonField(answer.value.body, "topic");
    return ok({
      ...(typeof name === "string" ? { name } : {}),
      ...(typeof topic === "string" ? { topic } : {}),
    });
  }

  /** Suspends or unsuspends a local account (reversible; blocks joins, invites, sending). */
  async setSuspended(user: UserId, suspended: boolean): Promise<Result<void, string>> {
    const answer = await this.call("PUT", `/_synapse/admin/v1/suspend/${segment(user)}`, {
      suspend: suspended,
    });
    if (!answer.ok) return answer;
    return answer.value.status === 200 ? ok(undefined) : err(describeFailure(answer.value));
  }
}
