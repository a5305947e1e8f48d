/**
 * The small part of the Matrix client-server API a policy room follower needs, as a role
 * interface the follower owns (STYLE.md "Shape": I/O through ports). The fetch adapter is
 * `fetch-matrix-port.ts`; tests give a stand-in homeserver instead.
 *
 * Failures are values: a homeserver that is down, a token that stopped working, a room
 * that vanished are expected, and the follower decides what each means.
 */
import type { Result } from "../core/result.js";
import type { RoomId } from "../core/ids.js";
import type { RoomAlias } from "./rules.js";

/** Why a request failed; never carries a token or an entity. */
export interface PortError {
  /**
   * - `unauthorized`: the access token is unknown or expired (401, spec `M_UNKNOWN_TOKEN`)
   * - `forbidden`: not allowed (403, e.g. not joined and not invited)
   * - `not_found`: no such room or alias (404)
   * - `too_large`: the answer exceeded the follower's size limit
   * - `bad_answer`: not the JSON shape the spec promises
   * - `unreachable`: no answer (connection refused, reset, timeout)
   * - `http`: any other status (5xx, 429, …)
   */
  readonly kind:
    | "unauthorized"
    | "forbidden"
    | "not_found"
    | "too_large"
    | "bad_answer"
    | "unreachable"
    | "http";
  readonly status?: number;
  /** The Matrix `errcode`, when the server sent one. */
  readonly errcode?: string;
}

/** One joined room in a `/sync` answer (only what the follower reads). */
export interface SyncJoinedRoom {
  readonly state?: { readonly events?: readonly unknown[] };
  readonly timeline?: { readonly events?: readonly unknown[]; readonly limited?: boolean };
}

/** A `/sync` answer, narrowed to what the follower reads. */
export interface SyncAnswer {
  readonly next_batch: string;
  readonly rooms?: {
    readonly join?: Readonly<Record<string, SyncJoinedRoom>>;
    readonly invite?: Readonly<Record<string, unknown>>;
    readonly leave?: Readonly<Record<string, unknown>>;
  };
}

/** The client-server API calls of a follower. */
export interface PolicyRoomPort {
  /** `GET /directory/room/{alias}`. */
  resolveAlias(alias: RoomAlias): Promise<Result<RoomId, PortError>>;
  /** `GET /joined_rooms`. */
  joinedRooms(): Promise<Result<readonly RoomId[], PortError>>;
  /** `POST /join/{room}`: accepts an invite (or joins a public room). */
  join(room: RoomId): Promise<Result<RoomId, PortError>>;
  /** `GET /rooms/{room}/state`: the room's whole current state, as untrusted JSON. */
  roomState(room: RoomId): Promise<Result<readonly unknown[], PortError>>;
  /** `GET /sync` with an inline filter; `timeoutMs` is the long-poll. */
  sync(request: {
    readonly filter: string;
    readonly since?: string;
    readonly timeoutMs: number;
    readonly signal?: AbortSignal;
  }): Promise<Result<SyncAnswer, PortError>>;
}
