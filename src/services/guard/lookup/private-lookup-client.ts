/**
 * The guard's LJS-4 v2 client (docs/private-lookup.md): the same LookupClient the gates
 * already use, so they do not change. A room's hash never leaves the guard: it is blinded
 * (RFC 9497 OPRF, ristretto255-SHA512, with an additive blind made ahead of time), the
 * provider evaluates the blinded element, the guard finalizes y = F(k, x) and looks y's
 * first 8 bytes up in its listed set. A miss ends there; only a set hit is reported (32
 * bytes of y, naming a listed entry), and the provider answers report id, tags and the
 * freeze state as a v1 hit does.
 */
import { ljs4Hash } from "../../../core/hash.js";
import type { Ljs4Hash, RoomId } from "../../../core/ids.js";
import type { Result } from "../../../core/result.js";
import { checkAnswer, listedEntry, lookupMatchAnswer } from "../../../protocol/ljs4.js";
import {
  LJS4_V2_PATHS,
  decodeEvaluation,
  encode32,
  encodeEvaluateBatchRequest,
  encodeEvaluateRequest,
  reportedOutput,
  setVersionOf,
  type Evaluation,
} from "../../../protocol/ljs4-v2.js";
import type { ListedSet } from "../../../private-lookup/listed-set.js";
import { BlindingPool } from "../../../private-lookup/blinding-pool.js";
import {
  createOprf,
  oprfInputFromLjs4Hash,
  type AdditiveBlind,
  type RistrettoOprf,
} from "../../../private-lookup/oprf.js";
import { ListedSetCache, type HeldSet } from "./listed-set-cache.js";
import {
  StandardLookupClient,
  errorOf,
  refused,
  unavailable,
  type CheckResult,
  type ListedRoom,
  type LookupClient,
  type LookupClientOptions,
  type LookupFailure,
  type LookupResult,
} from "./lookup-client.js";
import { LookupTransport, type TransportAnswer } from "./lookup-transport.js";

/** Options of {@link PrivateLookupClient}. */
export interface PrivateLookupClientOptions extends LookupClientOptions {
  /** How often the listed set's ETag is re-validated. */
  readonly setRefreshMs: number;
}

/** How long a refused batch is taken as the answer for the next ones. */
const BATCH_RETRY_MS = 60_000;

/** The v2 lookup client over HTTP. */
export class PrivateLookupClient implements LookupClient {
  private readonly transport: LookupTransport;
  /** `unfreeze` names no room: it stays v1's. */
  private readonly v1: StandardLookupClient;
  private readonly oprf: Promise<RistrettoOprf> = createOprf();
  readonly sets: ListedSetCache;
  /**
   * Until when batches are known to be refused (no `directory` scope): asked again after
   * that, so a scope granted later is noticed, without blinding for nothing meanwhile.
   */
  private batchRefusedUntil = -Infinity;
  /** Blinds made ahead for the held set's key. */
  private blinds: { keyId: string; pool: BlindingPool } | undefined;

  private readonly timeoutMs: number;

  constructor(options: PrivateLookupClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.transport = new LookupTransport(options);
    this.v1 = new StandardLookupClient(options);
    this.sets = new ListedSetCache({
      baseUrl: options.baseUrl,
      token: options.token,
      timeoutMs: Math.max(options.timeoutMs, 30_000),
      refreshMs: options.setRefreshMs,
    });
    // The first set is fetched now, not on the first join (refresh never rejects).
    void this.sets.refresh();
  }

  async lookup(room: RoomId, user: Ljs4Hash, retried = false): Promise<LookupResult> {
    const held = await this.sets.current(this.timeoutMs);
    if (!held.ok) return { kind: "unavailable", failure: held.error };
    const oprf = await this.oprf;
    const pool = this.poolFor(oprf, held.value);
    if (pool === undefined) return unavailable("a key whose public element is not one");
    const { set: asked } = held.value;
    const input = oprfInputFromLjs4Hash(ljs4Hash(room));
    const blind = pool.take();
    const blindedElement = oprf.blindAdditively(input, blind);
    const answer = await this.transport.call(
      "POST",
      evaluationPath(LJS4_V2_PATHS.evaluate, asked.keyId),
      encodeEvaluateRequest({ blindedElement, userIdHash: user }),
    );
    if (!answer.ok) return { kind: "unavailable", failure: answer.error };
    if (answer.value.status !== 200) {
      if (answer.value.status === 404 && !retried) {
        // The key was retired: fetch the new key's set and ask once more.
        this.sets.invalidate();
        return this.lookup(room, user, true);
      }
      return failedLookup(answer.value);
    }
    const evaluated = evaluationOf(answer.value, 1);
    if (evaluated === undefined) return unavailable("an evaluation without an element");
    const evaluatedElement = evaluated.evaluatedElements[0] as Uint8Array;
    const output = oprf.finalizeAdditively(input, blind, evaluatedElement);
    if (!output.ok) return unavailable("an evaluated element that is not one");
    const set = await this.setOf(asked, held.value.etag, evaluated.setVersion);
    if (!set.has(output.value)) return { kind: "clean" };

    const report = await this.transport.call("POST", LJS4_V2_PATHS.report, {
      key_id: set.keyId,
      output: encode32(reportedOutput(output.value)),
      user_id_hash: user,
    });
    if (!report.ok) return { kind: "unavailable", failure: report.error };
    // 204: the 8 bytes matched an entry, the 32 did not (a false hit, ~N/2^64).
    if (report.value.status === 204) return { kind: "clean" };
    if (report.value.status !== 200) return failedLookup(report.value);
    const match = lookupMatchAnswer.safeParse(report.value.body);
    if (!match.success) return unavailable("a match without report_id");
    const { reportId, tags, frozen } = match.data;
    return { kind: "listed", listed: { reportId, tags }, frozeNow: frozen };
  }

  /** The v1 extension: a version names no room, so it needs no blinding. */
  listVersion(): Promise<Result<string | undefined, LookupFailure>> {
    return this.v1.listVersion();
  }

  async check(rooms: readonly RoomId[]): Promise<CheckResult> {
    if (performance.now() < this.batchRefusedUntil) return { kind: "unsupported" };
    const held = await this.sets.current(this.timeoutMs);
    if (!held.ok) return { kind: "unavailable", failure: held.error };
    const { set: asked } = held.value;
    const oprf = await this.oprf;
    const pool = this.poolFor(oprf, held.value);
    if (pool === undefined) return unavailable("a key whose public element is not one");
    const unique = [...new Set(rooms)];
    const inputs = unique.map((room) => oprfInputFromLjs4Hash(ljs4Hash(room)));
    const blinds = inputs.map(() => pool.take());
    const answer = await this.transport.call(
      "POST",
      evaluationPath(LJS4_V2_PATHS.evaluateBatch, asked.keyId),
      encodeEvaluateBatchRequest(
        inputs.map((input, i) => oprf.blindAdditively(input, blinds[i] as AdditiveBlind)),
      ),
    );
    if (!answer.ok) return { kind: "unavailable", failure: answer.error };
    const failed = failedCheck(answer.value, () => this.sets.invalidate());
    if (failed?.kind === "unsupported") this.batchRefusedUntil = performance.now() + BATCH_RETRY_MS;
    if (failed !== undefined) return failed;
    const evaluated = evaluationOf(answer.value, unique.length);
    if (evaluated === undefined) return unavailable("a batch evaluation of the wrong shape");
    const set = await this.setOf(asked, held.value.etag, evaluated.setVersion);
    const hits = new Map<string, RoomId>();
    for (let i = 0; i < unique.length; i++) {
      const output = oprf.finalizeAdditively(
        inputs[i] as Buffer,
        blinds[i] as AdditiveBlind,
        evaluated.evaluatedElements[i] as Uint8Array,
      );
      if (!output.ok) return unavailable("an evaluated element that is not one");
      if (set.has(output.value)) {
        hits.set(encode32(reportedOutput(output.value)), unique[i] as RoomId);
      }
    }
    const listed = new Map<RoomId, ListedRoom>();
    if (hits.size === 0) return { kind: "checked", listed };

    const resolved = await this.transport.call("POST", LJS4_V2_PATHS.resolve, {
      key_id: set.keyId,
      outputs: [...hits.keys()],
    });
    if (!resolved.ok) return { kind: "unavailable", failure: resolved.error };
    const failedResolve = failedCheck(resolved.value, () => this.sets.invalidate());
    if (failedResolve !== undefined) return failedResolve;
    const decoded = checkAnswer.safeParse(resolved.value.body);
    if (!decoded.success) return unavailable("an answer without listed");
    for (const [output, value] of Object.entries(decoded.data.listed)) {
      const room = hits.get(output);
      const match = listedEntry.safeParse(value);
      if (room !== undefined && match.success) listed.set(room, match.data);
    }
    return { kind: "checked", listed };
  }

  /**
   * The set to decide with: the one asked with, unless the provider's answer names a newer
   * version of it (the list changed since the last refresh): then that one, fetched now.
   */
  private async setOf(asked: ListedSet, etag: string, version: string | undefined) {
    if (version === undefined || setVersionOf(etag) === version) return asked;
    const fresh = await this.sets.refresh();
    return fresh.ok && fresh.value.set.keyId === asked.keyId ? fresh.value.set : asked;
  }

  /**
   * The blinds for the held set's key: the same pool while the key stays, a new one (the
   * key's public element checked first) when it changes; undefined for a bad element.
   */
  private poolFor(oprf: RistrettoOprf, held: HeldSet): BlindingPool | undefined {
    const current = this.blinds;
    if (
      current !== undefined &&
      current.keyId === held.set.keyId &&
      Buffer.compare(current.pool.publicKey, held.publicKey) === 0
    ) {
      return current.pool;
    }
    current?.pool.close();
    this.blinds = undefined;
    const publicKey = oprf.checkPublicKey(held.publicKey);
    if (!publicKey.ok) return undefined;
    this.blinds = { keyId: held.set.keyId, pool: new BlindingPool(oprf, publicKey.value) };
    return this.blinds.pool;
  }

  unfreeze(user: Ljs4Hash): Promise<Result<boolean, LookupFailure>> {
    return this.v1.unfreeze(user);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.blinds?.pool.close();
    this.transport.close();
    this.v1.close();
  }
}

/** An evaluation's path: the key id is its last segment. */
function evaluationPath(path: string, keyId: string): string {
  return `${path}/${encodeURIComponent(keyId)}`;
}

/** A binary evaluation answer holding `count` elements, or undefined. */
function evaluationOf(answer: TransportAnswer, count: number): Evaluation | undefined {
  if (answer.bytes === undefined) return undefined;
  const decoded = decodeEvaluation(answer.bytes, count);
  return decoded.ok ? decoded.value : undefined;
}

/** An error answer to `evaluate` or `report`, as v1 maps its lookup's. */
function failedLookup(answer: TransportAnswer): LookupResult {
  const error = errorOf(answer);
  if (answer.status === 403 && error.errcode === "LOJ_ACCOUNT_FROZEN") return { kind: "frozen" };
  if (answer.status === 429) return { kind: "rate_limited", retryAfterMs: error.retryAfterMs };
  return { kind: "unavailable", failure: refused(answer.status, error.errcode) };
}

/** An error answer to a batch, as v1 maps its check's; a retired key drops the set. */
function failedCheck(answer: TransportAnswer, keyRetired: () => void): CheckResult | undefined {
  if (answer.status === 200) return undefined;
  const error = errorOf(answer);
  if (answer.status === 404 && error.errcode === "M_NOT_FOUND") {
    keyRetired();
    return { kind: "unavailable", failure: refused(404, error.errcode) };
  }
  if (answer.status === 403 || answer.status === 404 || answer.status === 405) {
    return { kind: "unsupported" };
  }
  if (answer.status === 429) return { kind: "rate_limited", retryAfterMs: error.retryAfterMs };
  return { kind: "unavailable", failure: refused(answer.status, error.errcode) };
}
