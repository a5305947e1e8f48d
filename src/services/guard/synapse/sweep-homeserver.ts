/**
 * The homeserver as sweeps see it, over Synapse's admin API (Synapse 1.163; see
 * docs/sweeps.md): local users paged from `GET /_synapse/admin/v2/users`, each user's rooms
 * by membership from `GET /_synapse/admin/v1/users/{user}/memberships`, room details,
 * and the actions. There is no admin API to reject an invite, so a user's invite is
 * rejected (and a member made to leave) as that user: an admin login as the user
 * (`POST /_synapse/admin/v1/users/{user}/login`), `POST /rooms/{room}/leave` with that
 * token, then logging that token out.
 */
import { parseRoomId, parseUserId, type RoomId, type UserId } from "../../../core/ids.js";
import { err, ok, type Result } from "../../../core/result.js";
import type { HomeserverFailure, SweepHomeserver, SweptMembership } from "../sweep/sweep-ports.js";
import {
  describeFailure,
  jsonField,
  segment,
  type MatrixAnswer,
  type MatrixCall,
} from "./matrix-http.js";

const USERS_PER_PAGE = 100;
/** A login made for one leave lives this long at most, even if logging out fails. */
const LOGIN_VALID_MS = 5 * 60_000;
/** Rejecting a remote invite waits for the inviting server (Synapse then answers locally). */
const LEAVE_TIMEOUT_MS = 120_000;

/** Builds a MatrixCall with a user's token (the login made for one leave). */
export type CallerFor = (token: string, timeoutMs: number) => MatrixCall;

/** Synapse's admin API for sweeps. */
export class SynapseSweepHomeserver implements SweepHomeserver {
  private adminUser: string | undefined;

  constructor(
    private readonly admin: MatrixCall,
    private readonly callerFor: CallerFor,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async usersPage(
    from: string | undefined,
  ): Promise<Result<{ users: readonly UserId[]; next: string | undefined }, string>> {
    const query = `limit=${USERS_PER_PAGE}&guests=false${from === undefined ? "" : `&from=${encodeURIComponent(from)}`}`;
    const answer = await this.admin("GET", `/_synapse/admin/v2/users?${query}`);
    if (!answer.ok) return answer;
    if (answer.value.status !== 200) return err(describeFailure(answer.value));
    const listed = jsonField(answer.value.body, "users");
    if (!Array.isArray(listed)) return err("an answer without users");
    // The admin whose token the guard uses cannot log in as itself; it is never swept.
    const self = await this.self();
    const users: UserId[] = [];
    for (const entry of listed) {
      const parsed = parseUserId(jsonField(entry, "name"));
      if (parsed.ok && parsed.value !== self && jsonField(entry, "deactivated") !== true)
        users.push(parsed.value);
    }
    // Synapse's next_token is a string offset; absent on the last page.
    const next = jsonField(answer.value.body, "next_token");
    return ok({
      users,
      next: typeof next === "string" || typeof next === "number" ? String(next) : undefined,
    });
  }

  /** The admin token's own user (`whoami`), asked once. */
  private async self(): Promise<string | undefined> {
    if (this.adminUser !== undefined) return this.adminUser;
    const answer = await this.admin("GET", "/_matrix/client/v3/account/whoami");
    const user = answer.ok ? jsonField(answer.value.body, "user_id") : undefined;
    if (typeof user === "string") this.adminUser = user;
    return this.adminUser;
  }

  async memberships(
    user: UserId,
  ): Promise<Result<ReadonlyMap<RoomId, SweptMembership>, HomeserverFailure>> {
    const answer = await this.admin("GET", `/_synapse/admin/v1/users/${segment(user)}/memberships`);
    const failure = failureOf(answer);
    if (failure !== undefined) return err(failure);
    const body = jsonField((answer as { value: MatrixAnswer }).value.body, "memberships");
    if (typeof body !== "object" || body === null)
      return err({ kind: "failed", reason: "an answer without memberships" });
    const rooms = new Map<RoomId, SweptMembership>();
    for (const [room, membership] of Object.entries(body as Record<string, unknown>)) {
      const parsed = parseRoomId(room);
      if (parsed.ok && (membership === "invite" || membership === "join"))
        rooms.set(parsed.value, membership);
    }
    return ok(rooms);
  }

  async roomTexts(room: RoomId): Promise<Result<readonly string[], HomeserverFailure>> {
    const answer = await this.admin("GET", `/_synapse/admin/v1/rooms/${segment(room)}`);
    const failure = failureOf(answer);
    if (failure !== undefined) return err(failure);
    const body = (answer as { value: MatrixAnswer }).value.body;
    return ok(
      ["name", "topic"]
        .map((key) => jsonField(body, key))
        .filter((t): t is string => typeof t === "string"),
    );
  }

  async leaveAs(user: UserId, room: RoomId): Promise<Result<void, HomeserverFailure>> {
    const login = await this.admin("POST", `/_synapse/admin/v1/users/${segment(user)}/login`, {
      valid_until_ms: this.now() + LOGIN_VALID_MS,
    });
    const loginFailure = failureOf(login);
    if (loginFailure !== undefined) return err(loginFailure);
    const token = jsonField((login as { value: MatrixAnswer }).value.body, "access_token");
    if (typeof token !== "string") return err({ kind: "failed", reason: "a login without token" });
    const asUser = this.callerFor(token, LEAVE_TIMEOUT_MS);
    try {
      const left = await asUser("POST", `/_matrix/client/v3/rooms/${segment(room)}/leave`, {});
      const failure = failureOf(left);
      return failure === undefined ? ok(undefined) : err(failure);
    } finally {
      // The login's own validity bounds it if this fails.
      await asUser("POST", "/_matrix/client/v3/logout", {}, { timeoutMs: 10_000 });
    }
  }

  async block(room: RoomId): Promise<Result<void, HomeserverFailure>> {
    const answer = await this.admin("PUT", `/_synapse/admin/v1/rooms/${segment(room)}/block`, {
      block: true,
    });
    const failure = failureOf(answer);
    return failure === undefined ? ok(undefined) : err(failure);
  }

  async purge(room: RoomId, block: boolean): Promise<Result<void, HomeserverFailure>> {
    // Asynchronous in Synapse: accepted with a delete_id, carried out in the background.
    const answer = await this.admin("DELETE", `/_synapse/admin/v2/rooms/${segment(room)}`, {
      purge: true,
      block,
    });
    const failure = failureOf(answer);
    return failure === undefined ? ok(undefined) : err(failure);
  }

  async quarantineMedia(room: RoomId): Promise<Result<void, HomeserverFailure>> {
    const answer = await this.admin(
      "POST",
      `/_synapse/admin/v1/room/${segment(room)}/media/quarantine`,
      {},
    );
    const failure = failureOf(answer);
    return failure === undefined ? ok(undefined) : err(failure);
  }
}

/** Undefined for a 200; "gone" for a 404 (a user deleted or a room vanished mid-sweep). */
function failureOf(answer: Result<MatrixAnswer, string>): HomeserverFailure | undefined {
  if (!answer.ok) return { kind: "failed", reason: answer.error };
  if (answer.value.status === 200) return undefined;
  if (answer.value.status === 404) return { kind: "gone" };
  return { kind: "failed", reason: describeFailure(answer.value) };
}
