/**
 * Keeps a lookup process in step with the database and with other processes on it: the
 * client whitelist, active freezes and quota counts every sync interval, and audit
 * retention hourly. A failing database leaves the last known state in force; lookups go on.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { QuotaDelta, SlidingWindowLimiter } from "../../core/rate-limit.js";
import type { Logger } from "../../observability/logger.js";
import { quotaTotalKey, type Storage } from "../../storage/storage.js";
import type { ClientRegistry } from "./client-registry.js";
import type { FreezeCache } from "./freeze-cache.js";
import type { LookupMetrics } from "./metrics.js";

/** What one sync touches. */
export interface StateSyncDeps {
  readonly storage: Storage;
  readonly clients: ClientRegistry;
  readonly freezes: FreezeCache;
  /** Limiters by scope; the scope prefixes their keys in the shared counts table. */
  readonly limiters: Readonly<Record<string, SlidingWindowLimiter>>;
  /** Scopes whose every key is shared each sync (few keys, e.g. one per client). */
  readonly shareEveryKey: readonly string[];
  readonly metrics: LookupMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly auditRetentionMs: number;
}

const PRUNE_EVERY_MS = 3_600_000;
/** Quota counts matter for two windows at most; a day is ample for any configured window. */
const QUOTA_RETENTION_MS = 86_400_000;
/**
 * A key of the other scopes is shared once this process has counted this share of its
 * limit in the current window (docs/abuse-controls.md, "Sharing between processes"). Most
 * user pseudonyms make a few lookups a minute and are never written: sharing all of them
 * wrote 20,000 rows in one synchronous transaction every interval at 20,000 active users.
 */
export const SHARE_FROM_SHARE_OF_LIMIT = 0.25;
/** Deltas written per statement batch; the event loop gets a turn between batches. */
export const SHARE_BATCH = 500;

/** Periodic synchronisation with the database. */
export class StateSync {
  private lastPrune = 0;
  private healthy = true;

  constructor(private readonly deps: StateSyncDeps) {}

  /** Whether the last sync reached the database. */
  get databaseHealthy(): boolean {
    return this.healthy;
  }

  /** One full sync; never throws. */
  async syncOnce(): Promise<void> {
    const { storage, clients, freezes, metrics, now } = this.deps;
    try {
      const started = now();
      clients.replace(await storage.listClients());
      freezes.replace(await storage.listFreezes(), started);
      await this.shareQuotas();
      metrics.clients.set(clients.size);
      metrics.frozen.set(freezes.size);
      if (started - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = started;
        const removed = await storage.prune(
          started - this.deps.auditRetentionMs,
          started - QUOTA_RETENTION_MS,
        );
        if (removed > 0) this.deps.logger.info({ removed }, "pruned audit records past retention");
      }
      if (!this.healthy) this.deps.logger.info("database reachable again");
      this.healthy = true;
    } catch (e) {
      metrics.storageErrors.inc({ operation: "sync" });
      if (this.healthy) {
        this.deps.logger.error(
          { err: { message: (e as Error).message } },
          "database sync failed; keeping the last known state",
        );
      }
      this.healthy = false;
    }
  }

  private async shareQuotas(): Promise<void> {
    const at = this.deps.now();
    for (const [scope, limiter] of Object.entries(this.deps.limiters)) {
      const { limit, windowMs } = limiter.quota;
      const shareFrom = this.deps.shareEveryKey.includes(scope)
        ? 0
        : Math.ceil(limit * SHARE_FROM_SHARE_OF_LIMIT);
      const deltas = limiter.drainPending(shareFrom);
      // At least one batch, even empty: on SQLite that is still a write transaction, so a
      // database that cannot take writes keeps /ready at 503 (locked database).
      for (let i = 0; i === 0 || i < deltas.length; i += SHARE_BATCH) {
        if (i > 0) await nextTurn(); // a burst of busy keys must not stall lookups either
        await this.shareBatch(scope, limiter, deltas.slice(i, i + SHARE_BATCH), at);
      }
      // Keys past half their limit anywhere: learn them before our own users reach them.
      const since = at - (at % windowMs) - windowMs;
      for (const busy of await this.deps.storage.busyQuotaCounts(
        `${scope}:`,
        Math.ceil(limit / 2),
        since,
      )) {
        limiter.applyTotal(busy.key.slice(scope.length + 1), busy.windowStart, busy.count, at);
      }
      limiter.prune(at);
    }
  }

  private async shareBatch(
    scope: string,
    limiter: SlidingWindowLimiter,
    deltas: readonly QuotaDelta[],
    at: number,
  ): Promise<void> {
    const shared = deltas.map((d) => ({ ...d, key: `${scope}:${d.key}` }));
    const totals = await this.deps.storage.addQuotaCounts(shared);
    for (const d of deltas) {
      const total = totals.get(quotaTotalKey(`${scope}:${d.key}`, d.windowStart));
      if (total !== undefined) limiter.applyTotal(d.key, d.windowStart, total, at);
    }
  }
}
