/**
 * The guard's copy of its listed set (LJS-4 v2, docs/private-lookup.md): the newest key
 * the provider serves this client, and that key's set, re-validated with If-None-Match
 * every refresh interval, so the set itself crosses the wire only when its ETag changes.
 * A stale copy keeps answering while the refresh runs; only the very first fetch is
 * waited for. Failures are values, without URLs, tokens or bodies.
 */
import { err, ok, type Result } from "../../../core/result.js";
import { failureOfError } from "../../../http/transport-failure.js";
import { LJS4_V2_PATHS, keysAnswer } from "../../../protocol/ljs4-v2.js";
import { ListedSet } from "../../../private-lookup/listed-set.js";
import { refused, type LookupFailure } from "./lookup-client.js";

/** A set in hand. */
export interface HeldSet {
  readonly set: ListedSet;
  /** The public element of the set's key, as the provider served it (not yet checked). */
  readonly publicKey: Uint8Array;
  readonly etag: string;
  readonly fetchedAt: number;
}

/** Options of {@link ListedSetCache}. */
export interface ListedSetCacheOptions {
  readonly baseUrl: string;
  readonly token: string;
  /** Deadline of one refresh (keys and set together). */
  readonly timeoutMs: number;
  readonly refreshMs: number;
  readonly now?: () => number;
}

/** A set of 1,000,000 rooms is 8 MB; anything much larger is not a set. */
const MAX_SET_BYTES = 64 * 1024 * 1024;

/** Bytes of the set bodies fetched, and fetches a 304 saved (for tests and the bench). */
export interface SetFetchCounts {
  fetched: number;
  notModified: number;
  bytes: number;
}

/** The guard's listed set, kept current. */
export class ListedSetCache {
  private held: HeldSet | undefined;
  private refreshing: Promise<Result<HeldSet, LookupFailure>> | undefined;
  private readonly base: string;
  private readonly now: () => number;
  readonly counts: SetFetchCounts = { fetched: 0, notModified: 0, bytes: 0 };

  constructor(private readonly options: ListedSetCacheOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.now = options.now ?? Date.now;
  }

  /**
   * The set to use now: a fresh copy, or a stale one while it is re-validated. Without any
   * copy yet, waits for the first fetch at most `waitMs` (a lookup's own deadline; the
   * fetch goes on, and the next lookup finds the set).
   */
  async current(waitMs: number): Promise<Result<HeldSet, LookupFailure>> {
    const held = this.held;
    if (held !== undefined && this.now() - held.fetchedAt < this.options.refreshMs) {
      return ok(held);
    }
    const refresh = this.refresh();
    if (held !== undefined) return ok(held);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<Result<HeldSet, LookupFailure>>((resolve) => {
      timer = setTimeout(() => resolve(err({ kind: "timeout" })), waitMs);
    });
    try {
      return await Promise.race([refresh, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forgets the set (its key was retired): the next use fetches keys and set again. */
  invalidate(): void {
    this.held = undefined;
  }

  /** Re-validates now; concurrent callers share one refresh. */
  refresh(): Promise<Result<HeldSet, LookupFailure>> {
    this.refreshing ??= this.fetch().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetch(): Promise<Result<HeldSet, LookupFailure>> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const headers = { authorization: `Bearer ${this.options.token}` };
    try {
      const keysResponse = await fetch(`${this.base}${LJS4_V2_PATHS.keys}`, { headers, signal });
      const keysBody: unknown = await keysResponse.json().catch(() => undefined);
      if (keysResponse.status !== 200)
        return err(refused(keysResponse.status, errcodeOf(keysBody)));
      const keys = keysAnswer.safeParse(keysBody);
      if (!keys.success) return err({ kind: "bad_answer", detail: "keys without a key" });
      const newest = keys.data.keys[0] as { key_id: string; public_key: Uint8Array };
      const { key_id: keyId, public_key: publicKey } = newest;
      const held = this.held;
      const conditional =
        held !== undefined && held.set.keyId === keyId ? { "if-none-match": held.etag } : {};
      const response = await fetch(`${this.base}${LJS4_V2_PATHS.listedSet}/${keyId}`, {
        headers: { ...headers, ...conditional },
        signal,
      });
      if (response.status === 304 && held !== undefined) {
        this.counts.notModified++;
        await response.body?.cancel();
        return ok(this.keep({ ...held, publicKey, fetchedAt: this.now() }));
      }
      if (response.status !== 200) {
        const body: unknown = await response.json().catch(() => undefined);
        return err(refused(response.status, errcodeOf(body)));
      }
      if (Number(response.headers.get("content-length") ?? 0) > MAX_SET_BYTES) {
        await response.body?.cancel();
        return err({ kind: "too_large" });
      }
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.length > MAX_SET_BYTES) return err({ kind: "too_large" });
      const set = ListedSet.fromBytes(bytes);
      if (!set.ok || set.value.keyId !== keyId) {
        return err({ kind: "bad_answer", detail: "a listed set that does not decode" });
      }
      this.counts.fetched++;
      this.counts.bytes += bytes.length;
      const etag = response.headers.get("etag") ?? "";
      return ok(this.keep({ set: set.value, publicKey, etag, fetchedAt: this.now() }));
    } catch (e) {
      return err(failureOfError(e));
    }
  }

  private keep(held: HeldSet): HeldSet {
    this.held = held;
    return held;
  }
}

function errcodeOf(body: unknown): string | undefined {
  const error = (body as { error?: { errcode?: unknown } } | undefined)?.error;
  return typeof error?.errcode === "string" ? error.errcode.slice(0, 255) : undefined;
}
