/**
 * Paging tokens through the directory proxy. Synapse's tokens name the room at a page
 * boundary, often one the filter hid (synapse-token.ts), so none reaches a requester:
 *
 * - Client API: every `next_batch`/`prev_batch` is sealed (page-tokens.ts); a `since` is
 *   opened back into Synapse's token before the request is forwarded. A `since` the guard
 *   did not issue, or one expired, is `400 M_INVALID_PARAM` (Synapse 1.163 answers a
 *   malformed token with a 500: `RoomListNextBatch.from_token` is not guarded).
 * - Federation: the requesting server signs the URI and body, `since` included (`X-Matrix`),
 *   so the token it sends must reach Synapse verbatim and must be Synapse's. The guard
 *   writes those tokens itself from the filtered page: `next_batch` names the last room
 *   shown, `prev_batch` the first (the rooms between them and Synapse's boundary are
 *   hidden ones, so nothing is skipped). A page the filter emptied has only the token
 *   back the way the requester came, set just beside its own `since`: going on past the
 *   hidden rooms would need a token naming one of them. A `since` that is not a Synapse
 *   token is refused before it reaches Synapse.
 */
import { err, ok, type Result } from "../../../core/result.js";
import type { PageTokens } from "./page-tokens.js";
import { queryOf, withSince } from "./pages.js";
import { decodeSynapseToken, encodeSynapseToken, type SynapseBoundary } from "./synapse-token.js";

/** A request as it is forwarded, with the upstream `since` in place of the guard's token. */
export interface PagedRequest {
  readonly rawUrl: string;
  readonly body: Buffer | undefined;
  /** The JSON body as forwarded (POST). */
  readonly json: Record<string, unknown> | undefined;
  /** Federation: the boundary the requester paged from. */
  readonly since: SynapseBoundary | undefined;
  /** What a sealed token is bound to: the API and the `server` searched. */
  readonly scope: string;
}

/** The Matrix error for a `since` the guard cannot use. */
export const INVALID_SINCE = {
  errcode: "M_INVALID_PARAM",
  error: "Unknown or expired since token",
} as const;

/** Translates paging tokens between requesters and the homeserver. */
export class DirectoryPaging {
  constructor(private readonly tokens: PageTokens) {}

  /** The request to forward, or why its `since` is refused. */
  incoming(
    request: {
      readonly api: "client" | "federation";
      readonly method: string;
      readonly rawUrl: string;
      readonly body: Buffer | undefined;
    },
    json: Record<string, unknown> | undefined,
  ): Result<PagedRequest, typeof INVALID_SINCE> {
    const query = queryOf(request.rawUrl);
    const scope = `${request.api}\u0000${(query.get("server") ?? "").toLowerCase()}`;
    const unchanged = { rawUrl: request.rawUrl, body: request.body, json, scope };
    // Synapse reads `since` from the body of a POST and from the query otherwise (the
    // first one); an absent, null or empty one means the first page.
    const post = request.method === "POST";
    if (post && json === undefined) return ok({ ...unchanged, since: undefined });
    const since = post ? json?.["since"] : query.get("since");
    if (since === undefined || since === null || since === "")
      return ok({ ...unchanged, since: undefined });
    if (typeof since !== "string") return err(INVALID_SINCE);
    if (request.api === "federation") {
      const boundary = decodeSynapseToken(since);
      return boundary.ok ? ok({ ...unchanged, since: boundary.value }) : err(INVALID_SINCE);
    }
    const upstream = this.tokens.open(since, scope);
    if (!upstream.ok) return err(INVALID_SINCE);
    // Another server's token (`server=`) need not be Synapse's: then it pages forwards.
    const decoded = decodeSynapseToken(upstream.value);
    const boundary = decoded.ok ? decoded.value : undefined;
    if (!post)
      return ok({
        ...unchanged,
        rawUrl: withSince(request.rawUrl, upstream.value),
        since: boundary,
      });
    const forwarded = { ...json, since: upstream.value };
    const body = Buffer.from(JSON.stringify(forwarded));
    return ok({ ...unchanged, body, json: forwarded, since: boundary });
  }

  /**
   * `page` with the requester's tokens in place of the homeserver's: `next` and `prev`
   * are Synapse's after filtering, `kept` the rooms the page shows.
   */
  outgoing(
    api: "client" | "federation",
    request: PagedRequest,
    page: Record<string, unknown>,
    tokens: { readonly next: unknown; readonly prev: unknown },
    kept: readonly unknown[],
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { ...page, chunk: kept };
    delete out["next_batch"];
    delete out["prev_batch"];
    const hasNext = typeof tokens.next === "string" && tokens.next !== "";
    const hasPrev = typeof tokens.prev === "string" && tokens.prev !== "";
    let next: string | undefined;
    let prev: string | undefined;
    if (api === "client") {
      if (hasNext) next = this.tokens.seal(tokens.next, request.scope);
      if (hasPrev) prev = this.tokens.seal(tokens.prev, request.scope);
    } else {
      const first = boundaryOf(kept[0]);
      const last = boundaryOf(kept[kept.length - 1]);
      // A page the filter emptied: its rooms lie next to the requester's own `since`, so
      // the way on (or back) starts right beside that boundary, which it knows already.
      const since = request.since;
      const nextRoom =
        last ?? (since?.forwards === false ? beside(since, since.roomId + "\u0001") : undefined);
      const prevRoom =
        first ?? (since?.forwards === true ? beside(since, before(since.roomId)) : undefined);
      if (hasNext && nextRoom !== undefined)
        next = encodeSynapseToken({ ...nextRoom, forwards: true });
      if (hasPrev && prevRoom !== undefined)
        prev = encodeSynapseToken({ ...prevRoom, forwards: false });
    }
    if (next !== undefined) out["next_batch"] = next;
    if (prev !== undefined) out["prev_batch"] = prev;
    return out;
  }
}

/**
 * A string just below `roomId` with no room id between them (room ids are ASCII; Synapse
 * compares them bytewise): the last character one lower, then the highest code point.
 */
function before(roomId: string): string | undefined {
  const last = roomId.charCodeAt(roomId.length - 1);
  if (!(last > 0 && last < 0x80)) return undefined;
  return `${roomId.slice(0, -1)}${String.fromCharCode(last - 1)}\u{10FFFF}`;
}

function beside(
  boundary: SynapseBoundary,
  roomId: string | undefined,
): Omit<SynapseBoundary, "forwards"> | undefined {
  return roomId === undefined ? undefined : { members: boundary.members, roomId };
}

/** A shown room as a page boundary, when it has the fields Synapse's token needs. */
function boundaryOf(entry: unknown): Omit<SynapseBoundary, "forwards"> | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const { room_id: roomId, num_joined_members: members } = entry as Record<string, unknown>;
  if (typeof roomId !== "string" || typeof members !== "number") return undefined;
  if (!Number.isSafeInteger(members) || members < 0) return undefined;
  return { roomId, members };
}
