/**
 * Wiring of the room directory guard (issue 4), called by the guard's composition root
 * (main.ts): the search redirector and text check (built whenever term lists exist), and,
 * with a `guard.directory` section, the directory proxy on its own listener. No
 * decisions live here.
 */
import { termListId } from "../../../config/directory-schema.js";
import { durationMs, type GuardConfig } from "../../../config/schema.js";
import { createHttpServer } from "../../../http/fastify.js";
import { listenOn } from "../../../http/listen.js";
import type { RunInBackground } from "../../../observability/background.js";
import type { Logger } from "../../../observability/logger.js";
import type { AlertSink } from "../alerts/alert-sender.js";
import { DirectorySummary } from "../alerts/directory-summary.js";
import type { LookupClient } from "../lookup-client.js";
import type { MatrixCall } from "../matrix-http.js";
import type { GuardMetrics } from "../metrics.js";
import { registerDirectoryRoutes, writeDirectoryError } from "../routes.js";
import { CuratedRooms, HomeserverCuratedResolver } from "./curated.js";
import { DirectoryService } from "./directory-service.js";
import { ListedRooms } from "./listed-rooms.js";
import { DirectoryFilter } from "./room-filter.js";
import { SearchRedirector, type Texts } from "./search-redirect.js";
import type { DirectoryTextMatcher } from "./text-job.js";

/** Directory request bodies are small JSON filters. */
const DIRECTORY_BODY_LIMIT = 64 * 1024;
const VERDICT_CACHE_ENTRIES = 100_000;

/**
 * The redirector for `guard.terms` and the help texts of each list; `texts` matches (in
 * the guard, off the event loop: text-pool.ts), undefined without term lists.
 */
export function searchRedirector(
  guard: GuardConfig,
  texts: DirectoryTextMatcher | undefined,
): SearchRedirector {
  const listTexts = new Map<string, Texts>();
  for (const list of guard.terms)
    if (list.messages !== undefined) listTexts.set(termListId(list), list.messages);
  return new SearchRedirector({
    texts,
    listTexts,
    fallbackTexts: guard.messages.search_redirected,
    defaultLanguage: guard.messages.default_language,
  });
}

/** What the directory proxy uses from the rest of the guard. */
export interface DirectoryDeps {
  readonly guard: GuardConfig;
  /** Matches room texts; undefined without term lists. */
  readonly texts: DirectoryTextMatcher | undefined;
  readonly redirector: SearchRedirector;
  readonly lookup: LookupClient;
  /** Client-server calls without a token (alias resolution). */
  readonly anonymous: MatrixCall;
  /** Admin API calls, when an admin token is configured (space children). */
  readonly admin: MatrixCall | undefined;
  readonly alerts: AlertSink;
  readonly metrics: GuardMetrics;
  readonly logger: Logger;
  readonly runInBackground: RunInBackground;
  readonly now: () => number;
  readonly onInternalError: (e: unknown) => void;
}

/** A running directory proxy. */
export interface DirectoryHandle {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the directory proxy, or does nothing without `guard.directory`. */
export async function startDirectory(deps: DirectoryDeps): Promise<DirectoryHandle | undefined> {
  const { guard, metrics, logger, runInBackground, now } = deps;
  const config = guard.directory;
  if (config === undefined) return undefined;
  const listed = new ListedRooms({
    lookup: deps.lookup,
    ttlMs: durationMs(config.verdict_ttl),
    staleMs: durationMs(config.stale_verdict_ttl),
    maxEntries: VERDICT_CACHE_ENTRIES,
    hashesPerMinute: config.max_checks_per_minute,
    now,
    onBudgetExceeded: () => metrics.directoryChecksOverBudget.inc(),
    onRateLimited: () => metrics.directoryChecksRateLimited.inc(),
  });
  const curated =
    config.mode === "curated"
      ? new CuratedRooms(
          config.curated_rooms,
          new HomeserverCuratedResolver(deps.anonymous, deps.admin),
          (problem) => logger.warn({ problem }, "curated room directory"),
        )
      : undefined;
  if (curated !== undefined && deps.admin === undefined) {
    logger.warn("curated directory without guard.admin_token_file: spaces count as plain rooms");
  }
  const summary = new DirectorySummary(now);
  const service = new DirectoryService({
    upstream: {
      client: guard.homeserver_url.replace(/\/+$/, ""),
      federation: (config.federation_url ?? guard.homeserver_url).replace(/\/+$/, ""),
    },
    timeoutMs: durationMs(config.upstream_timeout),
    maxBytes: config.max_response_bytes,
    style: config.style,
    redirector: deps.redirector,
    filter: new DirectoryFilter({
      verdicts: (rooms) => listed.verdicts(rooms),
      texts: deps.texts,
      textBudget: config.max_page_text,
      curated,
      failMode: config.fail_mode,
    }),
    trustedServers: new Set(config.trusted_servers.map((s) => s.toLowerCase())),
    refillPages: config.refill_pages,
    texts: {
      remoteSearchFailed: guard.messages.remote_search_failed,
      unavailable: guard.messages.directory_unavailable,
      defaultLanguage: guard.messages.default_language,
    },
    metrics,
    onHidden: (hidden) => summary.record(hidden),
    logger,
  });
  const app = createHttpServer({
    bodyLimit: DIRECTORY_BODY_LIMIT,
    writeError: writeDirectoryError,
    onInternalError: deps.onInternalError,
  });
  registerDirectoryRoutes(app, service);
  const url = await listenOn(app, config.listen);

  const reportMs = durationMs(config.report_interval);
  const includeRoomId = guard.alerts?.include_room_id ?? false;
  const report = () => {
    const text = summary.flush(reportMs, includeRoomId);
    if (text !== undefined) deps.alerts.post("directory_rooms_hidden", text);
  };
  const refreshCurated = () => {
    if (curated !== undefined) runInBackground("curated rooms", () => curated.refresh());
  };
  refreshCurated();
  const timers = [
    setInterval(report, reportMs),
    setInterval(() => metrics.directoryCachedVerdicts.set(listed.size), 5_000),
    ...(curated === undefined
      ? []
      : [setInterval(refreshCurated, durationMs(config.curated_refresh))]),
  ];
  for (const timer of timers) timer.unref();
  logger.info(
    { directory: url, style: config.style, mode: config.mode },
    "room directory guard listening",
  );
  return {
    url,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await app.close();
      report();
    },
  };
}
