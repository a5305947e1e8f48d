/**
 * The guard's client of the lookup service (LJS-4 `abuse_lookup` and `unfreeze`, plus the
 * non-counting batch `check` and `list_version`), speaking the wire contract of `src/protocol/ljs4.ts`. It
 * owns a short deadline, because Synapse itself waits 60 s for our answer; every outcome,
 * failures included, comes back as a value. A 429 is its own outcome everywhere: the
 * service is up, the client's quota is not.
 */
import { ljs4Hash } from "../../../core/hash.js";
import type { Ljs4Hash, RoomId } from "../../../core/ids.js";
import { err, ok, type Result } from "../../../core/result.js";
import {
  describeTransportFailure,
  type TransportFailure,
} from "../../../http/transport-failure.js";
import {
  LJS4_PATHS,
  checkAnswer,
  listedEntry,
  listVersionAnswer,
  ljs4ErrorAnswer,
  lookupMatchAnswer,
  unfreezeAnswer,
} from "../../../protocol/ljs4.js";
import { LookupTransport, type TransportAnswer } from "./lookup-transport.js";

/** A match in the source list, as the lookup service reports it. */
export interface ListedRoom {
  readonly reportId: string;
  readonly tags: readonly string[];
}

/**
 * Why the lookup service gave no usable answer: a transport failure, or an error status
 * (`refused`) other than the ones each operation turns into an outcome of its own.
 */
export type LookupFailure =
  | TransportFailure
  | { readonly kind: "refused"; readonly status: number; readonly errcode?: string };

/** A short text for logs and alerts. */
export function describeLookupFailure(failure: LookupFailure): string {
  if (failure.kind !== "refused") return describeTransportFailure(failure);
  return `HTTP ${failure.status}${failure.errcode === undefined ? "" : ` ${failure.errcode}`}`;
}

/** The outcome of one `abuse_lookup`. */
export type LookupResult =
  | { readonly kind: "listed"; readonly listed: ListedRoom; readonly frozeNow: boolean }
  | { readonly kind: "clean" }
  | { readonly kind: "frozen" }
  | { readonly kind: "rate_limited"; readonly retryAfterMs: number }
  | { readonly kind: "unavailable"; readonly failure: LookupFailure };

/** The outcome of a batch `check` (never counts toward a freeze). */
export type CheckResult =
  | { readonly kind: "checked"; readonly listed: ReadonlyMap<RoomId, ListedRoom> }
  /** The service does not offer `check` to this client (no `directory` scope, or too old). */
  | { readonly kind: "unsupported" }
  /** The client's quota is used up (429): the service answers, so this is not an outage. */
  | { readonly kind: "rate_limited"; readonly retryAfterMs: number }
  | { readonly kind: "unavailable"; readonly failure: LookupFailure };

/** The lookup service, as the gates see it. */
export interface LookupClient {
  /** Asks about one join or invite attempt; a match counts toward the user's freeze. */
  lookup(room: RoomId, user: Ljs4Hash): Promise<LookupResult>;
  /** Asks which of these rooms are listed, without counting toward any freeze. */
  check(rooms: readonly RoomId[]): Promise<CheckResult>;
  /** Lifts a freeze; answers whether one was lifted. */
  unfreeze(user: Ljs4Hash): Promise<Result<boolean, LookupFailure>>;
  /**
   * The opaque version of this client's view of the list (`list_version`), which changes
   * when the list does; undefined when the service does not offer it.
   */
  listVersion(): Promise<Result<string | undefined, LookupFailure>>;
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
    const answer = await this.transport.call("PUT", LJS4_PATHS.abuseLookup, body);
    if (!answer.ok) return { kind: "unavailable", failure: answer.error };
    const { status, body: json } = answer.value;
    if (status === 204) return { kind: "clean" };
    if (status === 200) {
      const match = lookupMatchAnswer.safeParse(json);
      if (!match.success) return unavailable("a match without report_id");
      const { reportId, tags, frozen } = match.data;
      return { kind: "listed", listed: { reportId, tags }, frozeNow: frozen };
    }
    const error = errorOf(answer.value);
    if (status === 403 && error.errcode === "LOJ_ACCOUNT_FROZEN") return { kind: "frozen" };
    if (status === 429) return { kind: "rate_limited", retryAfterMs: error.retryAfterMs };
    return { kind: "unavailable", failure: refused(status, error.errcode) };
  }

  async check(rooms: readonly RoomId[]): Promise<CheckResult> {
    const byHash = new Map(rooms.map((room) => [ljs4Hash(room) as string, room]));
    const answer = await this.transport.call("POST", LJS4_PATHS.check, {
      room_id_hashes: [...byHash.keys()],
    });
    if (!answer.ok) return { kind: "unavailable", failure: answer.error };
    const { status, body } = answer.value;
    if (status === 403 || status === 404 || status === 405) return { kind: "unsupported" };
    // The client's quota: the service is up and answering, just not this much.
    if (status === 429)
      return { kind: "rate_limited", retryAfterMs: errorOf(answer.value).retryAfterMs };
    if (status !== 200)
      return { kind: "unavailable", failure: refused(status, errorOf(answer.value).errcode) };
    const decoded = checkAnswer.safeParse(body);
    if (!decoded.success) return unavailable("an answer without listed");
    const listed = new Map<RoomId, ListedRoom>();
    for (const [hash, value] of Object.entries(decoded.data.listed)) {
      const room = byHash.get(hash);
      const match = listedEntry.safeParse(value);
      if (room !== undefined && match.success) listed.set(room, match.data);
    }
    return { kind: "checked", listed };
  }

  async unfreeze(user: Ljs4Hash): Promise<Result<boolean, LookupFailure>> {
    const answer = await this.transport.call("POST", LJS4_PATHS.unfreeze, { user_id_hash: user });
    if (!answer.ok) return answer;
    const { status, body } = answer.value;
    if (status !== 200) return err(refused(status, errorOf(answer.value).errcode));
    const decoded = unfreezeAnswer.safeParse(body);
    return decoded.success ? ok(decoded.data.unfrozen) : ok(false);
  }

  async listVersion(): Promise<Result<string | undefined, LookupFailure>> {
    const answer = await this.transport.call("GET", LJS4_PATHS.listVersion, undefined);
    if (!answer.ok) return answer;
    const { status, body } = answer.value;
    if (status === 404 || status === 405) return ok(undefined);
    if (status !== 200) return err(refused(status, errorOf(answer.value).errcode));
    const decoded = listVersionAnswer.safeParse(body);
    return decoded.success
      ? ok(decoded.data.version)
      : err({ kind: "bad_answer", detail: "an answer without version" });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.transport.close();
  }
}

export function unavailable(detail: string): { kind: "unavailable"; failure: LookupFailure } {
  return { kind: "unavailable", failure: { kind: "bad_answer", detail } };
}

export function refused(status: number, errcode: string | undefined): LookupFailure {
  return errcode === undefined ? { kind: "refused", status } : { kind: "refused", status, errcode };
}

/** The errcode and retry delay of an error answer (body first, then Retry-After, then 1 s). */
export function errorOf(answer: TransportAnswer): { errcode?: string; retryAfterMs: number } {
  const decoded = ljs4ErrorAnswer.safeParse(answer.body);
  const fromBody = decoded.success ? decoded.data.error.retry_after_ms : undefined;
  const seconds = Number(answer.retryAfter);
  const retryAfterMs =
    fromBody !== undefined
      ? Math.ceil(fromBody)
      : Number.isFinite(seconds) && seconds > 0
        ? seconds * 1000
        : 1000;
  return decoded.success ? { errcode: decoded.data.error.errcode, retryAfterMs } : { retryAfterMs };
}
