/**
 * The guard's client of the lookup service (LJS-4 `abuse_lookup` and `unfreeze`, plus the
 * non-counting batch `check`). It owns a short deadline, because Synapse itself waits 60 s
 * for our answer; every outcome, failures included, comes back as a value. A 429 is its
 * own outcome everywhere: the service is up, the client's quota is not.
 */
import { ljs4Hash } from "../../../core/hash.js";
import type { Ljs4Hash, RoomId } from "../../../core/ids.js";
import { err, ok, type Result } from "../../../core/result.js";
import { LookupTransport, type TransportAnswer } from "./lookup-transport.js";

/** The outcome of one `abuse_lookup`. */

/** A match in the source list, as the lookup service reports it. */
export interface ListedRoom {
  readonly reportId: string;
  readonly tags: readonly string[];
}

export type LookupResult =
  | { readonly kind: "listed"; readonly listed: ListedRoom; readonly frozeNow: boolean }
  | { readonly kind: "clean" }
  | { readonly kind: "frozen" }
  | { readonly kind: "rate_limited"; readonly retryAfterMs: number }
  | { readonly kind: "unavailable"; readonly reason: string };

/** The outcome of a batch `check` (never counts toward a freeze). */
export type CheckResult =
  | { readonly kind: "checked"; readonly listed: ReadonlyMap<RoomId, ListedRoom> }
  /** The service does not offer `check` to this client (no `directory` scope, or too old). */
  | { readonly kind: "unsupported" }
  /** The client's quota is used up (429): the service answers, so this is not an outage. */
  | { readonly kind: "rate_limited"; readonly retryAfterMs: number }
  | { readonly kind: "unavailable"; readonly reason: string };

/** The lookup service, as the gates see it. */
export interface LookupClient {
  /** Asks about one join or invite attempt; a match counts toward the user's freeze. */
  lookup(room: RoomId, user: Ljs4Hash): Promise<LookupResult>;
  /** Asks which of these rooms are listed, without counting toward any freeze. */
  check(rooms: readonly RoomId[]): Promise<CheckResult>;
  /** Lifts a freeze; answers whether one was lifted. */
  unfreeze(user: Ljs4Hash): Promise<Result<boolean, string>>;
  /** Releases kept-alive connections, where there are any. */
  close?(): void;
}

/** Options of {@link StandardLookupClient}. */
export interface LookupClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
}

/** The lookup client over HTTP (node:http with kept-alive connections, lookup-transport.ts). */
export class StandardLookupClient implements LookupClient {
  private readonly transport: LookupTransport;

  constructor(options: LookupClientOptions) {
    this.transport = new LookupTransport(options);
  }

  async lookup(room: RoomId, user: Ljs4Hash): Promise<LookupResult> {
    const body = { room_id_hash: ljs4Hash(room), user_id_hash: user };
    const answer = await this.transport.call("PUT", "/_matrix/loj/v1/abuse_lookup", body);
    if (!answer.ok) return { kind: "unavailable", reason: answer.error };
    const { status, body: json } = answer.value;
    if (status === 204) return { kind: "clean" };
    if (status === 200) {
      const listed = listedRoom(json);
      if (listed === undefined) return { kind: "unavailable", reason: "a match without report_id" };
      return { kind: "listed", listed, frozeNow: field(json, "frozen") === true };
    }
    const errcode = errcodeOf(json);
    if (status === 403 && errcode === "LOJ_ACCOUNT_FROZEN") return { kind: "frozen" };
    if (status === 429) return { kind: "rate_limited", retryAfterMs: retryAfterMs(answer.value) };
    return { kind: "unavailable", reason: `HTTP ${status} ${errcode ?? ""}`.trim() };
  }

  async check(rooms: readonly RoomId[]): Promise<CheckResult> {
    const byHash = new Map(rooms.map((room) => [ljs4Hash(room) as string, room]));
    const answer = await this.transport.call("POST", "/_matrix/loj/v1/check", {
      room_id_hashes: [...byHash.keys()],
    });
    if (!answer.ok) return { kind: "unavailable", reason: answer.error };
    const { status, body } = answer.value;
    if (status === 403 || status === 404 || status === 405) return { kind: "unsupported" };
    // The client's quota: the service is up and answering, just not this much.
    if (status === 429) return { kind: "rate_limited", retryAfterMs: retryAfterMs(answer.value) };
    if (status !== 200) {
      return { kind: "unavailable", reason: `HTTP ${status} ${errcodeOf(body) ?? ""}`.trim() };
    }
    const listed = new Map<RoomId, ListedRoom>();
    const entries = field(body, "listed");
    if (typeof entries !== "object" || entries === null) {
      return { kind: "unavailable", reason: "an answer without listed" };
    }
    for (const [hash, value] of Object.entries(entries)) {
      const room = byHash.get(hash);
      const match = listedRoom(value);
      if (room !== undefined && match !== undefined) listed.set(room, match);
    }
    return { kind: "checked", listed };
  }

  async unfreeze(user: Ljs4Hash): Promise<Result<boolean, string>> {
    const answer = await this.transport.call("POST", "/_matrix/loj/v1/unfreeze", {
      user_id_hash: user,
    });
    if (!answer.ok) return answer;
    const { status, body } = answer.value;
    if (status !== 200) return err(`HTTP ${status} ${errcodeOf(body) ?? ""}`.trim());
    return ok(field(body, "unfrozen") === true);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.transport.close();
  }
}

function field(body: unknown, key: string): unknown {
  return typeof body === "object" && body !== null
    ? (body as Record<string, unknown>)[key]
    : undefined;
}

function errcodeOf(body: unknown): string | undefined {
  const error = field(body, "error");
  const code = field(error, "errcode") ?? field(body, "errcode");
  return typeof code === "string" ? code : undefined;
}

/** Bounds on what the provider may put into alerts and logs through a match. */
const MAX_REPORT_ID = 255;
const MAX_TAGS = 16;
const MAX_TAG = 64;

function listedRoom(value: unknown): ListedRoom | undefined {
  const reportId = field(value, "report_id");
  if (typeof reportId !== "string" || reportId === "") return undefined;
  const tags = field(value, "tags");
  const tagList = Array.isArray(tags)
    ? tags
        .filter((t): t is string => typeof t === "string")
        .slice(0, MAX_TAGS)
        .map((t) => t.slice(0, MAX_TAG))
    : [];
  return { reportId: reportId.slice(0, MAX_REPORT_ID), tags: tagList };
}

function retryAfterMs(answer: TransportAnswer): number {
  const fromBody = field(field(answer.body, "error"), "retry_after_ms");
  if (typeof fromBody === "number" && fromBody > 0) return Math.ceil(fromBody);
  const seconds = Number(answer.retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000;
}
