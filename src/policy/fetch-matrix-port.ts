/**
 * `PolicyRoomPort` over real HTTP (Node's fetch): the client-server API of one homeserver
 * with one access token. Answers are read with a size cap, so an oversized room state
 * becomes a `too_large` failure rather than memory exhaustion. The token is only ever
 * sent as a header; errors name a status and errcode, never the token or a room.
 */
import { z } from "zod";
import { err, ok, type Result } from "../core/result.js";
import { parseRoomId, type RoomId } from "../core/ids.js";
import type { PolicyRoomPort, PortError, SyncAnswer } from "./matrix-port.js";
import type { RoomAlias } from "./rules.js";

/** Limits of the adapter. */
export interface FetchPortLimits {
  /** Largest `/state` answer accepted (default 256 MiB: about 600,000 rules). */
  readonly maxStateBytes?: number;
  /** Largest `/sync` answer accepted (default 64 MiB). */
  readonly maxSyncBytes?: number;
  /** Deadline of a request that is not a long-poll (default 60 s). */
  readonly timeoutMs?: number;
}

const roomIdAnswer = z.object({ room_id: z.string() });
const joinedAnswer = z.object({ joined_rooms: z.array(z.string()) });
const syncAnswer = z.looseObject({
  next_batch: z.string().min(1),
  rooms: z
    .looseObject({
      join: z.record(z.string(), z.looseObject({})).optional(),
      invite: z.record(z.string(), z.unknown()).optional(),
      leave: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

/** A port speaking to `homeserverUrl` as the owner of `accessToken`. */
export function fetchMatrixPort(
  homeserverUrl: string,
  accessToken: string,
  limits: FetchPortLimits = {},
): PolicyRoomPort {
  const base = homeserverUrl.replace(/\/+$/, "") + "/_matrix/client/v3";
  const maxState = limits.maxStateBytes ?? 256 * 1024 * 1024;
  const maxSync = limits.maxSyncBytes ?? 64 * 1024 * 1024;
  const timeoutMs = limits.timeoutMs ?? 60_000;

  async function call(
    method: "GET" | "POST",
    path: string,
    maxBytes: number,
    deadlineMs = timeoutMs,
    signal?: AbortSignal,
  ): Promise<Result<unknown, PortError>> {
    const timeout = AbortSignal.timeout(deadlineMs);
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          ...(method === "POST" ? { "content-type": "application/json" } : {}),
        },
        ...(method === "POST" ? { body: "{}" } : {}),
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
        redirect: "error",
      });
    } catch {
      return err({ kind: "unreachable" });
    }
    const body = await readCapped(response, maxBytes);
    if (body === "too_large") return err({ kind: "too_large", status: response.status });
    if (body === undefined) return err({ kind: "unreachable", status: response.status });
    let json: unknown;
    try {
      json = JSON.parse(body.text);
    } catch {
      return err({ kind: "bad_answer", status: response.status });
    }
    if (response.ok) return ok(json);
    const errcode =
      typeof json === "object" && json !== null && "errcode" in json
        ? String(json.errcode).slice(0, 64)
        : undefined;
    const kind: PortError["kind"] =
      response.status === 401
        ? "unauthorized"
        : response.status === 403
          ? "forbidden"
          : response.status === 404
            ? "not_found"
            : "http";
    return err({ kind, status: response.status, ...(errcode === undefined ? {} : { errcode }) });
  }

  const roomIdOf = (json: unknown): Result<RoomId, PortError> => {
    const parsed = roomIdAnswer.safeParse(json);
    const id = parsed.success ? parseRoomId(parsed.data.room_id) : undefined;
    return id?.ok === true ? ok(id.value) : err({ kind: "bad_answer" });
  };

  return {
    async resolveAlias(alias: RoomAlias) {
      const answer = await call("GET", `/directory/room/${encodeURIComponent(alias)}`, 64 * 1024);
      return answer.ok ? roomIdOf(answer.value) : answer;
    },
    async joinedRooms() {
      const answer = await call("GET", "/joined_rooms", 16 * 1024 * 1024);
      if (!answer.ok) return answer;
      const parsed = joinedAnswer.safeParse(answer.value);
      if (!parsed.success) return err({ kind: "bad_answer" });
      const ids: RoomId[] = [];
      for (const id of parsed.data.joined_rooms) {
        const room = parseRoomId(id);
        if (room.ok) ids.push(room.value);
      }
      return ok(ids);
    },
    async join(room: RoomId) {
      const answer = await call("POST", `/join/${encodeURIComponent(room)}`, 64 * 1024);
      return answer.ok ? roomIdOf(answer.value) : answer;
    },
    async roomState(room: RoomId) {
      const answer = await call("GET", `/rooms/${encodeURIComponent(room)}/state`, maxState);
      if (!answer.ok) return answer;
      return Array.isArray(answer.value) ? ok(answer.value) : err({ kind: "bad_answer" });
    },
    async sync(request) {
      const query = new URLSearchParams({
        filter: request.filter,
        timeout: String(request.timeoutMs),
        ...(request.since === undefined ? {} : { since: request.since }),
      });
      // The server holds a long-poll for `timeoutMs`; allow it that long and a margin.
      const answer = await call(
        "GET",
        `/sync?${query.toString()}`,
        maxSync,
        request.timeoutMs + timeoutMs,
        request.signal,
      );
      if (!answer.ok) return answer;
      const parsed = syncAnswer.safeParse(answer.value);
      return parsed.success ? ok(parsed.data as SyncAnswer) : err({ kind: "bad_answer" });
    },
  };
}

/** The body's text, `too_large` past `maxBytes`, undefined if the connection broke. */
async function readCapped(
  response: Response,
  maxBytes: number,
): Promise<{ readonly text: string } | "too_large" | undefined> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return "too_large";
  }
  if (response.body === null) return { text: "" };
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        await response.body.cancel().catch(() => undefined);
        return "too_large";
      }
      chunks.push(chunk);
    }
  } catch {
    return undefined;
  }
  return { text: Buffer.concat(chunks).toString("utf8") };
}
