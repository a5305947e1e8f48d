/**
 * Composition root of the lookup service: builds the object graph from config and starts
 * it. No decisions live here.
 */
import { durationMs, type Config } from "../../config/schema.js";
import { CheckEnumerationWatch } from "../../core/check-enumeration.js";
import {
  looseSecretFiles,
  looseSecretWarning,
  lookupSecretFiles,
  readSecretFile,
} from "../../config/secrets.js";
import { SlidingWindowLimiter } from "../../core/rate-limit.js";
import { createHttpServer } from "../../http/fastify.js";
import { listenOn } from "../../http/listen.js";
import { ListHolder } from "../../list/list-holder.js";
import { listSource } from "../../list/sources.js";
import { reportsListSource } from "../../list/reports-list.js";
import type { PolicyRoomListSource } from "../../list/policy-room-source.js";
import { backgroundRunner } from "../../observability/background.js";
import type { Logger } from "../../observability/logger.js";
import { openStorage } from "../../storage/open.js";
import { CheckAccounting } from "./check-accounting.js";
import { ClientRegistry } from "./client-registry.js";
import { FreezeCache } from "./freeze-cache.js";
import { LookupService } from "./lookup-service.js";
import { createLookupMetrics } from "./metrics.js";
import { reportsKey } from "./report-key.js";
import { ReportQueue } from "./report-queue.js";
import { registerReportRoutes } from "./report-routes.js";
import { registerPolicyMetrics } from "./policy-metrics.js";
import {
  ljs4ErrorBody,
  registerLookupRoutes,
  registerOperationsRoutes,
  writeLjs4Error,
} from "./routes.js";
import { StateSync } from "./state-sync.js";
import { AuditReader } from "../../storage/audit-counts.js";
import { ListHealth } from "./dashboard/list-health.js";
import { lookupDashboard } from "./dashboard/lookup-dashboard.js";
import { startPrivateLookup, type PrivateLookup } from "./private-start.js";
import { registerPrivateLookupRoutes } from "./private-routes.js";

/** The LJS-4 body limit (over 4 KiB → 413). */
export const LOOKUP_BODY_LIMIT = 4096;

/** A running lookup service. */
export interface LookupHandle {
  readonly apiUrl: string;
  readonly operationsUrl: string;
  /** The dashboard's listener, when `lookup.dashboard` is configured. */
  readonly dashboardUrl: string | undefined;
  reload(): Promise<{ entries: number }>;
  /** Stops accepting, drains in-flight requests, closes the database. */
  stop(): Promise<void>;
}

/** Starts the lookup service described by `config`. */
export async function startLookup(config: Config, logger: Logger): Promise<LookupHandle> {
  const cfg = config.lookup;
  const now = () => Date.now();
  const metrics = createLookupMetrics();
  const runInBackground = backgroundRunner(logger);
  const onInternalError = (e: unknown) =>
    logger.error(
      { err: { name: (e as Error).name, message: (e as Error).message } },
      "internal error",
    );
  // Secrets first: an unreadable file must fail the start before anything is opened.
  const operationsToken =
    cfg.operations_token_file === undefined ? undefined : readSecretFile(cfg.operations_token_file);
  const privateSeed =
    cfg.private_lookup === undefined ? undefined : readSecretFile(cfg.private_lookup.key_seed_file);
  let privateLookup: PrivateLookup | undefined;
  const warnings = looseSecretFiles(lookupSecretFiles(config));
  for (const file of warnings)
    logger.warn({ file }, "secret file is readable by group or others: chmod 600 it");
  const readyWarnings = warnings.length === 0 ? [] : [looseSecretWarning(warnings.length)];
  const reportKey = reportsKey(cfg);
  const storage = await openStorage(config.database, { checkpointInBackground: true });

  const sources = [
    ...cfg.sources.map((s) =>
      listSource(s, durationMs(s.refresh), logger.child({ component: "policy rooms" })),
    ),
    ...(cfg.reports === undefined || reportKey === undefined
      ? []
      : [reportsListSource(cfg.reports.list_file, reportKey, durationMs(cfg.reports.refresh))]),
  ];
  registerPolicyMetrics(
    metrics.registry,
    sources.flatMap((s) => ("follower" in s ? [(s as PolicyRoomListSource).follower] : [])),
    now,
  );
  const listHealth = new ListHealth(
    sources.map((s) => s.label),
    now,
  );
  const list = new ListHolder(sources, {
    loaded: (source, stats) => {
      metrics.listReloads.inc({ result: "loaded" });
      logger.info({ source, ...stats }, "list source loaded");
      listHealth.loaded(source, stats);
    },
    unchanged: () => metrics.listReloads.inc({ result: "unchanged" }),
    failed: (source, reason) => {
      metrics.listReloads.inc({ result: "failed" });
      metrics.listReloadFailures.inc();
      logger.error({ source, reason }, "list source failed; keeping its last good copy");
      listHealth.failed(source, reason);
    },
    swapped: (entries, bytes) => {
      metrics.listEntries.set(entries);
      metrics.listBytes.set(bytes);
      listHealth.swapped(entries, bytes);
      privateLookup?.sets.listSwapped();
    },
  });
  const clients = new ClientRegistry(cfg.filtered_tags);
  const freezes = new FreezeCache(now);
  const quota = (q: { requests: number; per: string }) => ({
    limit: q.requests,
    windowMs: durationMs(q.per),
  });
  const limiters = {
    client: new SlidingWindowLimiter(quota(cfg.rate_limits.client)),
    user: new SlidingWindowLimiter(quota(cfg.rate_limits.user)),
    badToken: new SlidingWindowLimiter(quota(cfg.rate_limits.bad_token)),
    directory: new SlidingWindowLimiter(quota(cfg.rate_limits.directory)),
  };
  const sync = new StateSync({
    storage,
    clients,
    freezes,
    limiters,
    // One key per client each: shared exactly, like the client quota.
    shareEveryKey: ["client", "directory"],
    metrics,
    logger,
    now,
    auditRetentionMs: durationMs(cfg.audit_retention),
  });
  const freezeRule = {
    threshold: cfg.freeze.threshold,
    windowMs: durationMs(cfg.freeze.window),
    repeatGraceMs: durationMs(cfg.freeze.repeat_grace),
  };
  const service = new LookupService({
    storage,
    list,
    clients,
    freezes,
    limiters,
    freezeRule,
    metrics,
    logger,
    now,
    checkAccounting: new CheckAccounting({
      storage,
      watch: new CheckEnumerationWatch({
        windowMs: durationMs(cfg.check_enumeration.window),
        minNewHashes: cfg.check_enumeration.min_new_hashes,
        listedShare: cfg.check_enumeration.listed_share,
        newHashes: cfg.check_enumeration.new_hashes,
      }),
      metrics,
      logger,
      now,
    }),
  });

  await sync.syncOnce();
  await list.reloadAll();
  if (cfg.private_lookup !== undefined && privateSeed !== undefined) {
    privateLookup = await startPrivateLookup(cfg.private_lookup, privateSeed, {
      lookup: service,
      list,
      clients,
      logger,
      runInBackground,
      now,
    });
  }
  if (!list.ready) logger.warn("not every list source loaded; lookups answer 503 until they do");

  const api = createHttpServer({
    bodyLimit: LOOKUP_BODY_LIMIT,
    writeError: writeLjs4Error,
    errorBody: ljs4ErrorBody,
    trustedProxies: cfg.trusted_proxies,
    onInternalError,
  });
  registerLookupRoutes(api, service, metrics, {
    listReady: () => list.ready,
    databaseHealthy: () => sync.databaseHealthy,
    warnings: () => [...readyWarnings, ...list.warnings()],
  });
  const reports = new ReportQueue({
    storage,
    key: reportKey,
    limiter: new SlidingWindowLimiter(quota(cfg.rate_limits.report)),
    logger,
    now,
  });
  registerReportRoutes(api, service, reports);
  if (privateLookup !== undefined) {
    registerPrivateLookupRoutes(api, service, privateLookup.service, metrics);
  }
  const reload = async () => {
    await list.reloadAll();
    return { entries: list.list.size };
  };
  const ops = createHttpServer({
    bodyLimit: 1024,
    writeError: writeLjs4Error,
    errorBody: ljs4ErrorBody,
    onInternalError,
  });
  registerOperationsRoutes(ops, metrics.registry, reload, operationsToken);

  const dashboardConfig = cfg.dashboard;
  const audit = dashboardConfig === undefined ? undefined : await AuditReader.open(config.database);
  const dashboard =
    dashboardConfig === undefined || audit === undefined
      ? undefined
      : lookupDashboard({
          adminToken: readSecretFile(dashboardConfig.admin_token_file),
          storage,
          audit,
          listHealth,
          reviews:
            cfg.reports === undefined || reportKey === undefined
              ? undefined
              : {
                  storage,
                  key: reportKey,
                  listFile: cfg.reports.list_file,
                  filteredTags: cfg.filtered_tags,
                  now,
                },
          quotaUse: (client) => ({
            used: limiters.client.estimate(client, now()),
            limit: cfg.rate_limits.client.requests,
          }),
          sessionTtlMs: durationMs(dashboardConfig.session_ttl),
          now,
          onInternalError,
          log: (message, detail) => logger.info(detail, message),
        });

  const apiUrl = await listenOn(api, cfg.listen);
  const operationsUrl = await listenOn(ops, cfg.metrics_listen);
  const dashboardUrl =
    dashboard === undefined || dashboardConfig === undefined
      ? undefined
      : await listenOn(dashboard, dashboardConfig.listen);
  const syncTimer = setInterval(
    () => runInBackground("state sync", () => sync.syncOnce()),
    durationMs(cfg.sync_interval),
  );
  syncTimer.unref();
  list.startTimers(runInBackground);
  logger.info(
    { api: apiUrl, operations: operationsUrl, entries: list.list.size, clients: clients.size },
    "lookup service listening",
  );

  return {
    apiUrl,
    operationsUrl,
    dashboardUrl,
    reload,
    async stop() {
      clearInterval(syncTimer);
      await list.stop();
      await Promise.all([api.close(), ops.close(), dashboard?.close()]); // close() waits for in-flight requests
      await sync.syncOnce(); // share the last quota counts
      await audit?.close();
      await storage.close();
      logger.info("lookup service stopped");
    },
  };
}
