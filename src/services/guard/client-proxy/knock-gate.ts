/**
 * The knock gate. Synapse asks no spam-checker callback before a knock
 * (`user_may_join_room` is called for joins only), yet a knock (spec "Client-Server API"
 * §Knocking on rooms, MSC2403) hands the user's id and a free reason text to the room's
 * moderators. So the client-API proxy decides a knock itself, exactly as the join gate
 * decides a join — same lookup, freeze count, alerts, messages and fail mode:
 *
 *  1. who knocks: the homeserver's whoami with the request's own credentials (a refusal
 *     is Synapse's own answer, relayed);
 *  2. the body must be a JSON object, as Synapse requires (400 M_NOT_JSON / M_BAD_JSON);
 *  3. which room: a room id as given; an alias resolved through the homeserver (an unknown
 *     alias gets its 404 M_NOT_FOUND);
 *  4. the join decision; a refusal is answered here and never reaches the homeserver;
 *  5. an allowed knock is forwarded: method, headers, body and query as received, to the
 *     room id that was decided. For an alias the forwarded path names that room id, with
 *     the alias's servers as `via`: a remote alias resolved twice could name another room
 *     the second time.
 */
import type { RoomId, UserId } from "../../../core/ids.js";
import { parseRoomId } from "../../../core/ids.js";
import { jsonObjectBody } from "../../../http/body.js";
import type { ProxyAnswer } from "../directory/directory-service.js";
import { forwardedHeaders } from "../directory/upstream.js";
import type { WireAnswer } from "../gates/messages.js";
import {
  homeserverFailed,
  ownAnswer,
  queryOf,
  relayed,
  type ClientRequest,
  type Homeserver,
} from "./homeserver.js";
import type { Identities } from "./identities.js";

/** The join gate's answer for `user` entering `room` (200 allows). */
export type JoinDecision = (user: UserId, room: RoomId) => Promise<WireAnswer>;

/** What the knock gate uses. */
export interface KnockGateDeps {
  readonly homeserver: Homeserver;
  readonly identities: Identities;
  readonly decideJoin: JoinDecision;
  /** Counts each knock by its outcome. */
  readonly onOutcome?: (outcome: KnockOutcome) => void;
}

/** How a knock ended. */
export type KnockOutcome =
  | "forwarded"
  | "refused"
  | "unauthenticated"
  | "bad_request"
  | "unknown_room"
  | "homeserver_failed";

/** One knock: the request and its `{roomIdOrAlias}`, percent-decoded. */
export interface KnockRequest extends ClientRequest {
  readonly target: string;
  /** The path before `/knock/` (`/_matrix/client/v3`, …), forwarded as received. */
  readonly prefix: string;
}

const ALIAS_RE = /^#[^:]+:.+$/;

type Handled = { readonly answer: ProxyAnswer; readonly outcome: KnockOutcome };
type Target =
  | { readonly ok: true; readonly room: RoomId; readonly via?: readonly string[] }
  | { readonly ok: false; readonly failure: Handled };

/** Decides knocks like joins and forwards the allowed ones. */
export class KnockGate {
  constructor(private readonly deps: KnockGateDeps) {}

  async handle(request: KnockRequest): Promise<ProxyAnswer> {
    const { answer, outcome } = await this.decide(request);
    this.deps.onOutcome?.(outcome);
    return answer;
  }

  private async decide(request: KnockRequest): Promise<Handled> {
    if (request.method !== "POST") return this.forward(request, request.rawUrl);
    const identity = await this.deps.identities.identify(request);
    if (identity.kind === "refused")
      return { answer: relayed(identity.answer), outcome: "unauthenticated" };
    if (identity.kind === "unavailable")
      return {
        answer: homeserverFailed(identity.failure === "timeout" ? "timeout" : "unreachable"),
        outcome: "homeserver_failed",
      };

    // Synapse's own texts (synapse/http/servlet.py, parse_json_object_from_request).
    const body = jsonObjectBody(request.body);
    if (!body.ok) {
      const answer =
        body.error === "not_json"
          ? ownAnswer(400, { errcode: "M_NOT_JSON", error: "Content not JSON." })
          : ownAnswer(400, { errcode: "M_BAD_JSON", error: "Content must be a JSON object." });
      return { answer, outcome: "bad_request" };
    }

    const target = await this.room(request);
    if (!target.ok) return target.failure;
    const decided = await this.deps.decideJoin(identity.user, target.room);
    if (decided.status !== 200)
      return { answer: ownAnswer(decided.status, decided.body), outcome: "refused" };
    const query = target.via === undefined ? queryOf(request.rawUrl) : withVia(request, target.via);
    const path = `${request.prefix}/knock/${encodeURIComponent(target.room)}`;
    return this.forward(request, query === "" ? path : `${path}?${query}`);
  }

  /** The room a knock names, with the servers of an alias. */
  private async room(request: KnockRequest): Promise<Target> {
    const { target } = request;
    if (target.startsWith("!")) {
      const room = parseRoomId(target);
      if (room.ok) return { ok: true, room: room.value };
    } else if (ALIAS_RE.test(target)) {
      return this.resolve(request, target);
    }
    // Synapse's answer to an identifier it cannot read (synapse/rest/client/knock.py).
    const answer = ownAnswer(400, {
      errcode: "M_UNKNOWN",
      error: `${target} was not legal room ID or room alias`,
    });
    return { ok: false, failure: { answer, outcome: "bad_request" } };
  }

  private async resolve(request: KnockRequest, alias: string): Promise<Target> {
    const answered = await this.deps.homeserver({
      method: "GET",
      path: `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`,
      headers: { accept: "application/json" },
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    if (!answered.ok) {
      const answer = homeserverFailed(answered.error);
      return { ok: false, failure: { answer, outcome: "homeserver_failed" } };
    }
    const answer = answered.value;
    const resolved = answer.status === 200 ? aliasTarget(answer.body) : undefined;
    if (resolved !== undefined) return { ok: true, ...resolved };
    // An unknown alias (404 M_NOT_FOUND) or another refusal: the homeserver's own answer.
    const outcome = answer.status === 404 ? "unknown_room" : "homeserver_failed";
    if (answer.status >= 400 && answer.status < 500)
      return { ok: false, failure: { answer: relayed(answer), outcome } };
    const failed = homeserverFailed("unreachable");
    return { ok: false, failure: { answer: failed, outcome: "homeserver_failed" } };
  }

  private async forward(request: ClientRequest, path: string): Promise<Handled> {
    const answered = await this.deps.homeserver({
      method: request.method,
      path,
      headers: forwardedHeaders(request.headers, request.peer),
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    if (!answered.ok)
      return { answer: homeserverFailed(answered.error), outcome: "homeserver_failed" };
    return { answer: relayed(answered.value), outcome: "forwarded" };
  }
}

/** `{room_id, servers}` of a directory answer (spec §Room aliases). */
function aliasTarget(body: Buffer): { room: RoomId; via: readonly string[] } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const room = parseRoomId(fields["room_id"]);
  if (!room.ok) return undefined;
  const servers = Array.isArray(fields["servers"])
    ? fields["servers"].filter((s): s is string => typeof s === "string")
    : [];
  return { room: room.value, via: servers };
}

/** The request's query with `via`/`server_name` replaced by the alias's servers. */
function withVia(request: ClientRequest, via: readonly string[]): string {
  const params = new URLSearchParams(queryOf(request.rawUrl));
  params.delete("via");
  params.delete("server_name");
  for (const server of via) params.append("via", server);
  return params.toString();
}
