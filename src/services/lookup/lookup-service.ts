/**
 * The lookup decision, independent of HTTP: authenticate the client, apply quotas and
 * freezes, match the room hash against the list, record hits. It takes requests already
 * decoded at the edge (`src/protocol/ljs4.ts`, in routes.ts) and returns outcomes; every
 * expected failure is an ApiError value that routes.ts writes to the wire.
 */
import { createHash } from "node:crypto";
import { apiError, type ApiError } from "../../core/errors.js";
import type { FreezeRule } from "../../core/freeze.js";
import type { Ljs4Hash } from "../../core/ids.js";
import type { AbuseLookupRequest } from "../../protocol/ljs4.js";
import type { SlidingWindowLimiter } from "../../core/rate-limit.js";
import type { ListMatch } from "../../core/source-list.js";
import { err, ok, type Result } from "../../core/result.js";
import type { Logger } from "../../observability/logger.js";
import type { Storage } from "../../storage/storage.js";
import type { ListHolder } from "../../list/list-holder.js";
import type { CheckAccounting } from "./check-accounting.js";
import type { ActiveClient, ClientRegistry } from "./client-registry.js";
import type { FreezeCache } from "./freeze-cache.js";
import type { LookupMetrics } from "./metrics.js";

/** The credentials and origin of one request. */
export interface Caller {
  readonly headerToken: string | undefined;
  readonly address: string;
}

/** A lookup's answer: a match (HTTP 200) or no match (HTTP 204). */
export type LookupAnswer =
  | {
      readonly match: true;
      readonly reportId: string;
      readonly tags: readonly string[];
      readonly frozeNow: boolean;
    }
  | { readonly match: false };

/** The quotas the service enforces. */
export interface Limiters {
  readonly client: SlidingWindowLimiter;
  readonly user: SlidingWindowLimiter;
  readonly badToken: SlidingWindowLimiter;
  /** Room hashes of batch checks per client, on top of `client` (config `directory`). */
  readonly directory: SlidingWindowLimiter;
}

/** Everything the lookup decision depends on. */
export interface LookupDeps {
  readonly storage: Storage;
  readonly list: ListHolder;
  readonly clients: ClientRegistry;
  readonly freezes: FreezeCache;
  readonly limiters: Limiters;
  readonly freezeRule: FreezeRule;
  readonly metrics: LookupMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** Counts, logs, audits and watches answered batch checks. */
  readonly checkAccounting: CheckAccounting;
}

export { MAX_CHECK_BATCH as MAX_BATCH } from "../../protocol/ljs4.js";

const limited = (retryAfterMs: number, what: string) =>
  apiError(429, "M_LIMIT_EXCEEDED", `too many requests for this ${what}`, retryAfterMs);

/** What each quota counts, for its 429's message. */
const QUOTA_SUBJECT = {
  client: "client",
  user: "user",
  bad_token: "address",
  directory: "client's batch checks",
} as const;

/** A quota refusal is logged at most this often per (quota, client or address). */
const REFUSAL_LOG_EVERY_MS = 60_000;
/** Addresses remembered for that; beyond it the memory starts afresh (bounded under a flood). */
const REFUSAL_LOG_KEYS = 10_000;

/** The lookup service's behaviour. */
export class LookupService {
  private readonly refusalLoggedAt = new Map<string, number>();

  constructor(private readonly deps: LookupDeps) {}

  /** Authenticates a caller from the header and/or body token (LJS-4: either; both must agree). */
  authenticate(caller: Caller, bodyToken: string | undefined): Result<ActiveClient, ApiError> {
    const { limiters, clients, now } = this.deps;
    const token = caller.headerToken ?? bodyToken;
    if (token === undefined) return err(apiError(401, "M_MISSING_TOKEN", "missing access token"));
    // Token guessing: an address with too many failures is refused before any token check.
    const guessing = limiters.badToken.check(caller.address, now());
    if (!guessing.allowed) {
      return err(this.refused("bad_token", undefined, caller.address, guessing.retryAfterMs));
    }
    if (
      caller.headerToken !== undefined &&
      bodyToken !== undefined &&
      caller.headerToken !== bodyToken
    ) {
      limiters.badToken.consume(caller.address, now());
      return err(apiError(401, "M_UNKNOWN_TOKEN", "the Authorization header and api_token differ"));
    }
    const client = clients.authenticate(token);
    if (!client.ok) {
      limiters.badToken.consume(caller.address, now());
      return client;
    }
    if (!client.value.allowsAddress(caller.address)) {
      return err(apiError(403, "M_FORBIDDEN", "this address may not use this token"));
    }
    return client;
  }

  /** LJS-4 `abuse_lookup` for an authenticated client. */
  async lookup(
    client: ActiveClient,
    request: AbuseLookupRequest,
  ): Promise<Result<LookupAnswer, ApiError>> {
    const room = { value: request.room_id_hash };
    const user = { value: request.user_id_hash };
    const admitted = this.admitLookup(client, user.value);
    if (!admitted.ok) return admitted;
    const at = admitted.value;

    const match = this.deps.list.list.match(room.value, client.effectiveTags);
    if (!match) return ok({ match: false });
    const frozeNow = await this.recordHit(client, user.value, match.reportId, at);
    return ok({ match: true, reportId: match.reportId, tags: match.tags, frozeNow });
  }

  /**
   * What every lookup of one user's join or invite passes before the list is asked, in v1
   * and in the private lookup (v2) alike: the list is loaded, the client's and the user's
   * quotas allow one more, the pseudonym is not frozen. Answers the time of admission.
   */
  admitLookup(client: ActiveClient, user: Ljs4Hash): Result<number, ApiError> {
    const { list, limiters, now } = this.deps;
    if (!list.ready) return err(apiError(503, "M_UNKNOWN", "the list is not loaded yet"));
    const at = now();
    const perClient = limiters.client.consume(client.name, at);
    if (!perClient.allowed) {
      return err(this.refused("client", client.name, undefined, perClient.retryAfterMs));
    }
    const perUser = limiters.user.consume(`${client.name}\n${user}`, at);
    if (!perUser.allowed) {
      return err(this.refused("user", client.name, undefined, perUser.retryAfterMs));
    }
    const frozen = this.refuseFrozen(client, user);
    return frozen === undefined ? ok(at) : err(frozen);
  }

  /** `403 LOJ_ACCOUNT_FROZEN` when this pseudonym of the client is frozen. */
  refuseFrozen(client: ActiveClient, user: Ljs4Hash): ApiError | undefined {
    if (!this.deps.freezes.has(client.name, user)) return undefined;
    return apiError(
      403,
      "LOJ_ACCOUNT_FROZEN",
      "this account is frozen; its homeserver can unfreeze it",
    );
  }

  /**
   * A hit on a listed entry, counted toward the user's freeze: the v1 lookup's and the v2
   * report's. Answers whether the pseudonym froze now.
   */
  countHit(client: ActiveClient, user: Ljs4Hash, reportId: string): Promise<boolean> {
    return this.recordHit(client, user, reportId, this.deps.now());
  }

  /**
   * Redlight extension (docs/api.md, "Batch check"): which of up to 100 room hashes are
   * listed, for clients granted the `directory` scope (room directory filtering, rooms a
   * user is already in). Never counts toward a freeze, so it is accountable instead: every
   * hash counts against the client's directory quota and its lookup quota, and every batch
   * is counted in metrics, logged and audited with its counts (never its hashes), and
   * watched for signs of enumeration.
   */
  async check(
    client: ActiveClient,
    parsed: readonly Ljs4Hash[],
  ): Promise<Result<ReadonlyMap<Ljs4Hash, ListMatch>, ApiError>> {
    const scope = this.mayCheck(client);
    if (!scope.ok) return scope;
    if (!this.deps.list.ready) return err(apiError(503, "M_UNKNOWN", "the list is not loaded yet"));
    const refusal = this.consumeCheckQuota(client.name, parsed.length);
    if (refusal !== undefined) return err(refusal);
    const listed = new Map<Ljs4Hash, ListMatch>();
    for (const hash of parsed) {
      const match = this.deps.list.list.match(hash, client.effectiveTags);
      if (match) listed.set(hash, match);
    }
    await this.deps.checkAccounting.record(client.name, parsed, listed);
    return ok(listed);
  }

  /**
   * Redlight extension (docs/api.md, "List version"): an opaque version of what this client
   * can see of the list (its effective tags). It changes when that view changes, so a
   * guard knows when to sweep again; it names no entry. The digest is computed once per
   * list swap and tag set (SourceList.version); this adds one small hash per request.
   */
  listVersion(client: ActiveClient): Result<string, ApiError> {
    const { list } = this.deps;
    if (!list.ready) return err(apiError(503, "M_UNKNOWN", "the list is not loaded yet"));
    const view = list.list.version(client.effectiveTags);
    const version = createHash("sha256")
      .update(`redlight list_version v1\n${client.name}\n${view}`)
      .digest("base64url");
    return ok(version.slice(0, 32));
  }

  /** Whether the client holds the `directory` scope the batch check needs. */
  mayCheck(client: ActiveClient): Result<void, ApiError> {
    return client.scopes.has("directory")
      ? ok(undefined)
      : err(apiError(403, "M_FORBIDDEN", "this client is not granted the directory scope"));
  }

  /**
   * Both quotas a batch check spends, all or nothing: the directory quota bounds what the
   * non-counting check may take, the client quota what the client learns in all.
   */
  consumeCheckQuota(client: string, cost: number): ApiError | undefined {
    const { limiters, now } = this.deps;
    const at = now();
    const directory = limiters.directory.check(client, at, cost);
    if (!directory.allowed) {
      return this.refused("directory", client, undefined, directory.retryAfterMs);
    }
    const perClient = limiters.client.check(client, at, cost);
    if (!perClient.allowed)
      return this.refused("client", client, undefined, perClient.retryAfterMs);
    limiters.directory.consume(client, at, cost);
    limiters.client.consume(client, at, cost);
    return undefined;
  }

  /** Lifts a freeze of one of this client's pseudonyms. */
  async unfreeze(client: ActiveClient, userHash: Ljs4Hash): Promise<Result<boolean, ApiError>> {
    const user = { value: userHash };
    try {
      const lifted = await this.deps.storage.unfreeze(
        client.name,
        user.value,
        `client:${client.name}`,
        this.deps.now(),
      );
      this.deps.freezes.remove(client.name, user.value);
      if (lifted) this.deps.metrics.unfreezes.inc();
      return ok(lifted);
    } catch (e) {
      this.deps.metrics.storageErrors.inc({ operation: "unfreeze" });
      this.deps.logger.error({ err: { message: (e as Error).message } }, "unfreeze failed");
      return err(apiError(503, "M_UNKNOWN", "the database is unavailable; try again"));
    }
  }

  /**
   * A quota refused a request: counted by quota and client, and logged once a minute per
   * quota and client (or address), so an enumerating or guessing caller is visible
   * without flooding the log (enumeration).
   */
  private refused(
    quota: "client" | "user" | "bad_token" | "directory",
    client: string | undefined,
    address: string | undefined,
    retryAfterMs: number,
  ): ApiError {
    const { metrics, logger, now } = this.deps;
    metrics.quotaRefusals.inc({ quota, client: client ?? "" });
    const key = `${quota}\n${client ?? address ?? ""}`;
    const at = now();
    const last = this.refusalLoggedAt.get(key);
    if (last === undefined || at - last >= REFUSAL_LOG_EVERY_MS) {
      if (this.refusalLoggedAt.size >= REFUSAL_LOG_KEYS) this.refusalLoggedAt.clear();
      this.refusalLoggedAt.set(key, at);
      const who = client === undefined ? { address } : { client };
      logger.warn({ quota, ...who, retry_after_ms: retryAfterMs }, "quota exceeded");
    }
    return limited(retryAfterMs, QUOTA_SUBJECT[quota]);
  }

  /**
   * Records a hit and applies the freeze rule. A database fault must not turn a match into
   * a "clean" answer: the match stands, the fault is logged and counted.
   */
  private async recordHit(
    client: ActiveClient,
    user: Ljs4Hash,
    reportId: string,
    at: number,
  ): Promise<boolean> {
    const { storage, freezes, freezeRule, metrics, logger } = this.deps;
    try {
      const outcome = await storage.recordHit(
        { client: client.name, userPseudonym: user, reportId, at },
        freezeRule,
      );
      logger.info(
        { client: client.name, report_id_of_hit: reportId, counted: outcome.counted },
        "lookup hit",
      );
      if (outcome.frozeNow) {
        freezes.add(client.name, user);
        metrics.freezes.inc();
        logger.warn({ client: client.name, hits: outcome.hitsInWindow }, "user pseudonym frozen");
      }
      return outcome.frozeNow;
    } catch (e) {
      metrics.storageErrors.inc({ operation: "record_hit" });
      logger.error({ err: { message: (e as Error).message } }, "recording a hit failed");
      return false;
    }
  }
}
