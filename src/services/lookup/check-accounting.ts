/**
 * The accounting of answered batch checks (the `directory` scope): the batch check never
 * counts toward a freeze, so every batch is counted, logged and audited by client with the
 * number of hashes and of listed ones — never a hash, which would put the list into logs
 * and database — and watched for signs of enumeration (docs/abuse-controls.md).
 */
import type { CheckEnumerationWatch } from "../../core/check-enumeration.js";
import type { Ljs4Hash } from "../../core/ids.js";
import type { ListMatch } from "../../core/source-list.js";
import type { Logger } from "../../observability/logger.js";
import type { BatchCheck, Storage } from "../../storage/storage.js";
import type { LookupMetrics } from "./metrics.js";

/** What the accounting writes to. */
export interface CheckAccountingDeps {
  readonly storage: Storage;
  readonly watch: CheckEnumerationWatch;
  readonly metrics: LookupMetrics;
  readonly logger: Logger;
  readonly now: () => number;
}

/** Counts, logs, audits and watches answered batch checks. */
export class CheckAccounting {
  constructor(private readonly deps: CheckAccountingDeps) {}

  /**
   * Accounts for one answered batch: `asked` as sent, `listed` the listed ones among them.
   * A database fault does not withhold the answer (the log line and metrics still record
   * the batch); it is logged and counted.
   */
  async record(
    client: string,
    asked: readonly Ljs4Hash[],
    listed: ReadonlyMap<Ljs4Hash, ListMatch>,
  ): Promise<void> {
    const { storage, metrics, logger, now } = this.deps;
    const at = now();
    metrics.checkHashes.inc({ client }, asked.length);
    metrics.checkListed.inc({ client }, listed.size);
    logger.info({ client, hashes: asked.length, listed: listed.size }, "batch check");
    const suspected = this.watch(client, at, asked, listed);
    try {
      await storage.recordCheck({
        client,
        at,
        hashes: asked.length,
        listed: listed.size,
        ...(suspected === undefined ? {} : { suspected }),
      });
    } catch (e) {
      metrics.storageErrors.inc({ operation: "record_check" });
      logger.error({ err: { message: (e as Error).message } }, "auditing a batch check failed");
    }
  }

  /** Feeds the enumeration watch; a sign that fired is counted and logged, and returned. */
  private watch(
    client: string,
    at: number,
    asked: readonly Ljs4Hash[],
    listed: ReadonlyMap<Ljs4Hash, ListMatch>,
  ): BatchCheck["suspected"] {
    const { metrics, logger } = this.deps;
    const seen = this.deps.watch.observe(client, at, [...new Set(asked)], new Set(listed.keys()));
    if (seen.fired.length === 0) return undefined;
    const { windowStart, hashes, listed: listedInWindow, newHashes, newListed } = seen.counts;
    const window = {
      since: windowStart,
      hashes,
      listed: listedInWindow,
      new_hashes: newHashes,
      new_listed: newListed,
    };
    for (const reason of seen.fired) metrics.checkEnumerationSuspected.inc({ client, reason });
    logger.warn(
      { client, reasons: seen.fired, ...window },
      "batch checks of this client look like enumeration of the list",
    );
    return { reasons: [...seen.fired], window };
  }
}
