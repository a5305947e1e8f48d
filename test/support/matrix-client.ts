/**
 * A tiny typed Matrix client-server API client for end-to-end tests (spec v1.x, `/v3`).
 * Calls that a join/invite gate may refuse return a {@link MatrixResult}; the rest throw
 * {@link MatrixRequestError}, which keeps test set-up short.
 */
import { randomBytes } from "node:crypto";

/** A Matrix error answer, as the client sees it. `body` is the whole JSON body. */
export interface MatrixError {
  readonly status: number;
  readonly errcode: string;
  readonly error: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export type MatrixResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: MatrixError };

export class MatrixRequestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly detail: MatrixError,
  ) {
    super(`${method} ${path} → HTTP ${detail.status} ${detail.errcode}: ${detail.error}`);
    this.name = "MatrixRequestError";
  }
}

export interface CreateRoomOptions {
  readonly name?: string;
  readonly topic?: string;
  readonly preset?: "private_chat" | "public_chat" | "trusted_private_chat";
  readonly visibility?: "public" | "private";
  /** Local part of an alias to create, e.g. `lobby` → `#lobby:<server>`. */
  readonly roomAliasName?: string;
  readonly invite?: readonly string[];
  readonly isDirect?: boolean;
  readonly powerLevelContentOverride?: Readonly<Record<string, unknown>>;
  readonly initialState?: ReadonlyArray<{
    type: string;
    state_key?: string;
    content: Record<string, unknown>;
  }>;
}

export interface RoomMessage {
  readonly eventId: string;
  readonly sender: string;
  readonly msgtype: string;
  readonly body: string;
  readonly originServerTs: number;
  readonly content: Readonly<Record<string, unknown>>;
}

interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
}

const enc = encodeURIComponent;

export class MatrixTestClient {
  private txn = 0;
  private readonly txnPrefix = randomBytes(4).toString("hex");

  constructor(
    readonly baseUrl: string,
    readonly userId: string,
    readonly accessToken: string,
  ) {}

  /** Any client-server call; `path` starts with `/_matrix/…` or `/_synapse/…`. Never throws on HTTP errors. */
  async request<T>(method: string, path: string, body?: unknown): Promise<MatrixResult<T>> {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${this.accessToken}` } };
    if (body !== undefined) {
      init.headers = { ...init.headers, "content-type": "application/json" };
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? {} : JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    if (res.ok) return { ok: true, value: json as T };
    const obj = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
    return {
      ok: false,
      error: {
        status: res.status,
        errcode: typeof obj["errcode"] === "string" ? obj["errcode"] : "",
        error: typeof obj["error"] === "string" ? obj["error"] : "",
        body: obj,
      },
    };
  }

  /** Like {@link request} but throws {@link MatrixRequestError} on an error answer. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const result = await this.request<T>(method, path, body);
    if (!result.ok) throw new MatrixRequestError(method, path, result.error);
    return result.value;
  }

  async createRoom(options: CreateRoomOptions = {}): Promise<string> {
    const body: Record<string, unknown> = {};
    if (options.name !== undefined) body["name"] = options.name;
    if (options.topic !== undefined) body["topic"] = options.topic;
    if (options.preset !== undefined) body["preset"] = options.preset;
    if (options.visibility !== undefined) body["visibility"] = options.visibility;
    if (options.roomAliasName !== undefined) body["room_alias_name"] = options.roomAliasName;
    if (options.invite !== undefined) body["invite"] = options.invite;
    if (options.isDirect !== undefined) body["is_direct"] = options.isDirect;
    if (options.powerLevelContentOverride !== undefined) {
      body["power_level_content_override"] = options.powerLevelContentOverride;
    }
    if (options.initialState !== undefined) body["initial_state"] = options.initialState;
    const { room_id } = await this.call<{ room_id: string }>(
      "POST",
      "/_matrix/client/v3/createRoom",
      body,
    );
    return room_id;
  }

  /** Joins by room id or alias; a refusal (e.g. by the antispam module) is a value. */
  async join(
    roomIdOrAlias: string,
    serverNames: readonly string[] = [],
  ): Promise<MatrixResult<{ roomId: string }>> {
    const query = serverNames.map((s) => `server_name=${enc(s)}`).join("&");
    const path = `/_matrix/client/v3/join/${enc(roomIdOrAlias)}${query === "" ? "" : `?${query}`}`;
    const result = await this.request<{ room_id: string }>("POST", path, {});
    return result.ok ? { ok: true, value: { roomId: result.value.room_id } } : result;
  }

  /** Invites a user; a refusal is a value. */
  async invite(roomId: string, userId: string, reason?: string): Promise<MatrixResult<void>> {
    const body = reason === undefined ? { user_id: userId } : { user_id: userId, reason };
    return voidResult(
      await this.request("POST", `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, body),
    );
  }

  async leave(roomId: string): Promise<void> {
    await this.call("POST", `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
  }

  async setDisplayName(displayName: string): Promise<void> {
    const path = `/_matrix/client/v3/profile/${enc(this.userId)}/displayname`;
    await this.call("PUT", path, { displayname: displayName });
  }

  /** Sends `m.room.message` (`m.text`, or `m.notice` when `notice`); returns the event id. */
  async sendText(roomId: string, body: string, notice = false): Promise<string> {
    return this.sendEvent(roomId, "m.room.message", {
      msgtype: notice ? "m.notice" : "m.text",
      body,
    });
  }

  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    const txnId = `${this.txnPrefix}-${++this.txn}`;
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`;
    const { event_id } = await this.call<{ event_id: string }>("PUT", path, content);
    return event_id;
  }

  async sendState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`;
    const { event_id } = await this.call<{ event_id: string }>("PUT", path, content);
    return event_id;
  }

  async getState<T = Record<string, unknown>>(
    roomId: string,
    type: string,
    stateKey = "",
  ): Promise<T> {
    return this.call<T>(
      "GET",
      `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
    );
  }

  /** Sets one user's power level in `m.room.power_levels`, keeping everything else. */
  async setPowerLevel(roomId: string, userId: string, level: number): Promise<void> {
    const levels = await this.getState<{ users?: Record<string, number> }>(
      roomId,
      "m.room.power_levels",
    );
    await this.sendState(roomId, "m.room.power_levels", "", {
      ...levels,
      users: { ...levels.users, [userId]: level },
    });
  }

  /** Lists the room in the public room directory; a refusal (`user_may_publish_room`) is a value. */
  async publishRoom(
    roomId: string,
    visibility: "public" | "private" = "public",
  ): Promise<MatrixResult<void>> {
    const path = `/_matrix/client/v3/directory/list/room/${enc(roomId)}`;
    return voidResult(await this.request("PUT", path, { visibility }));
  }

  async resolveAlias(alias: string): Promise<string> {
    const { room_id } = await this.call<{ room_id: string }>(
      "GET",
      `/_matrix/client/v3/directory/room/${enc(alias)}`,
    );
    return room_id;
  }

  async joinedRooms(): Promise<string[]> {
    const { joined_rooms } = await this.call<{ joined_rooms: string[] }>(
      "GET",
      "/_matrix/client/v3/joined_rooms",
    );
    return joined_rooms;
  }

  /** `m.membership` of `userId` in the room as this client sees it, or undefined when none. */
  async membership(roomId: string, userId: string): Promise<string | undefined> {
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`;
    const result = await this.request<{ membership?: string }>("GET", path);
    return result.ok ? result.value.membership : undefined;
  }

  /** The latest `m.room.message` events of a room (up to `limit` events scanned), oldest first. */
  async getMessages(roomId: string, limit = 50): Promise<RoomMessage[]> {
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=${limit}`;
    const { chunk } = await this.call<{ chunk: ClientEvent[] }>("GET", path);
    return chunk
      .filter((e) => e.type === "m.room.message")
      .reverse()
      .map((e) => ({
        eventId: e.event_id,
        sender: e.sender,
        msgtype: typeof e.content["msgtype"] === "string" ? e.content["msgtype"] : "",
        body: typeof e.content["body"] === "string" ? e.content["body"] : "",
        originServerTs: e.origin_server_ts,
        content: e.content,
      }));
  }

  /** Polls {@link getMessages} until a message matches (an alert arriving, say). */
  async waitForMessage(
    roomId: string,
    matches: (message: RoomMessage) => boolean,
    // Generous for a busy machine: the wait ends as soon as the message is there.
    timeoutMs = 60_000,
  ): Promise<RoomMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.getMessages(roomId)).find(matches);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`no matching message in ${roomId} within ${timeoutMs} ms`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

function voidResult(result: MatrixResult<unknown>): MatrixResult<void> {
  return result.ok ? { ok: true, value: undefined } : result;
}
