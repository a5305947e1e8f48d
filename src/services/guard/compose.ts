/**
 * The one composition function of the guard: builds its whole object graph from config and
 * ports — the gates, the lookup client and its monitor, the alert room, the operations, the
 * client-API proxy (knocks, room reports, room directory) — and its HTTP apps, without listening. `main.ts` starts it for
 * production; tests call it with fakes for some ports and `inject` against the real graph.
 * No decisions live here.
 */
import type { FastifyInstance } from "fastify";
import { termListId } from "../../config/directory-schema.js";
import { durationMs, type GuardConfig } from "../../config/schema.js";
import {
  guardSecretFiles,
  looseSecretFiles,
  looseSecretWarning,
  readSecretFile,
} from "../../config/secrets.js";
import type { RoomId, UserId } from "../../core/ids.js";
import { createHttpServer } from "../../http/fastify.js";
import { backgroundRunner, type RunInBackground } from "../../observability/background.js";
import type { Logger } from "../../observability/logger.js";
import type { SqlDatabase } from "../../storage/sql-database.js";
import { commandReply } from "./alerts/alert-text.js";
import { LogOnlyAlertSink, MatrixAlertSender, type AlertSink } from "./alerts/alert-sender.js";
import { CommandListener } from "./alerts/command-listener.js";
import type { Homeserver } from "./client-proxy/homeserver.js";
import { Identities } from "./client-proxy/identities.js";
import { KnockGate } from "./client-proxy/knock-gate.js";
import { RoomReports, type RoomReport } from "./client-proxy/room-reports.js";
import { registerClientProxyRoutes } from "./client-proxy/routes.js";
import { DirectorySummary } from "./alerts/directory-summary.js";
import { InviteSummary } from "./alerts/invite-summary.js";
import { Reactions } from "./alerts/reactions.js";
import { CuratedRooms, HomeserverCuratedResolver } from "./directory/curated.js";
import { DirectoryPaging } from "./directory/directory-paging.js";
import { DirectoryService } from "./directory/directory-service.js";
import { ListedRooms } from "./directory/listed-rooms.js";
import { PageTokens } from "./directory/page-tokens.js";
import { DirectoryFilter } from "./directory/room-filter.js";
import { SearchRedirector, type Texts } from "./directory/search-redirect.js";
import { TextCheck } from "./directory/text-check.js";
import { callUpstream } from "./directory/upstream.js";
import type { DirectoryTextMatcher } from "./directory/text-job.js";
import {
  DIRECTORY_TEXT_MAX_WAIT_MS,
  DIRECTORY_TEXT_QUEUE,
  DIRECTORY_TEXT_THREADS,
  ThreadedTextMatcher,
} from "./directory/text-pool.js";
import { ok } from "../../core/result.js";
import { DecisionLog } from "./decisions/decision-log.js";
import { tagKey } from "./decisions/decision-record.js";
import { guardDashboard } from "./dashboard/guard-dashboard.js";
import { FrozenAccounts } from "./gates/frozen-accounts.js";
import { GuardService } from "./gates/guard-service.js";
import { InviteGate } from "./gates/invite-gate.js";
import { ServerPolicy } from "./gates/invite-policy.js";
import { JoinGate } from "./gates/join-gate.js";
import { RefusalMessages } from "./gates/messages.js";
import { cachedPseudonyms } from "./gates/pseudonyms.js";
import { PublishGate } from "./gates/publish-gate.js";
import { UNKNOWN_MEMBERSHIP, type Membership, type RoomTextSource } from "./gates/room-facts.js";
import { CleanVerdictCache } from "./gates/verdict-cache.js";
import type { LookupClient } from "./lookup/lookup-client.js";
import { lookupClientFor } from "./lookup/choose-client.js";
import { NoLookupService } from "./lookup/no-lookup-client.js";
import { LookupMonitor } from "./lookup/lookup-monitor.js";
import { createGuardMetrics, type GuardMetrics } from "./metrics/guard-metrics.js";
import { Unfreezer } from "./operations/unfreeze.js";
import { composeReports, type Reports } from "./reports/compose-reports.js";
import {
  callbackErrorWriter,
  registerCallbackRoutes,
  registerDirectoryRoutes,
  registerOperationsRoutes,
  registerTextCheckRoute,
  writeDirectoryError,
  writeGuardError,
} from "./routes.js";
import { matrixCaller, type MatrixCall } from "./synapse/matrix-http.js";
import { AdminApiFacts } from "./synapse/membership.js";
import { SynapseAdmin } from "./synapse/synapse-admin.js";
import { SweepSchedule } from "./sweep/sweep-schedule.js";
import { composeSweeper, reportSweep, type SweepParts } from "./sweeps.js";
import { termList, termMatcherOf } from "./term-lists.js";
import { composePolicyRooms } from "./policy-rooms.js";
import type { PolicyRoomFollower } from "../../policy/policy-room-follower.js";

/** Callback bodies are small; a federated invite with its stripped state stays far below. */
export const GUARD_BODY_LIMIT = 256 * 1024;
/** Directory request bodies are small JSON filters. */
const DIRECTORY_BODY_LIMIT = 64 * 1024;
/** A forwarded knock may wait on the room's server over federation. */
const KNOCK_FORWARD_TIMEOUT_MS = 60_000;
const WHOAMI_TTL_MS = 60_000;
const WHOAMI_CACHED = 10_000;
const DIRECTORY_VERDICTS_CACHED = 100_000;
const PROBE_EVERY_MS = 5_000;
const GAUGES_EVERY_MS = 5_000;
const MIN_PSEUDONYM_SECRET = 32;
const ALERT_CALL_TIMEOUT_MS = 10_000;
const DECISIONS_FLUSH_MS = 5_000;
const DECISIONS_PRUNE_MS = 3_600_000;

/**
 * What the guard talks to. Only the logger is required; every other port defaults to the
 * real adapter built from config (HTTP to the lookup service, Synapse's APIs, files).
 */
export interface GuardPorts {
  readonly logger: Logger;
  readonly now?: () => number;
  /** Reads a `*_file` secret. */
  readonly readSecret?: (path: string) => string;
  /** The lookup service (default: LJS-4 over HTTP to `guard.lookup.url`). */
  readonly lookup?: LookupClient;
  /** Membership and room texts (default: Synapse's admin API, or unknown without a token). */
  readonly roomFacts?: Membership & RoomTextSource;
  /** Where alerts go (default: the alert room, or the log without `guard.alerts`). */
  readonly alerts?: AlertSink;
  /** The guard's own database (`guard.database`), opened by the caller, who closes it. */
  readonly database?: SqlDatabase;
  /** Told about each room report the homeserver accepted through the client-API proxy. */
  readonly onRoomReport?: (report: RoomReport) => void;
  /** The policy room follower (default: one over `guard.policy_rooms`, when set). */
  readonly policyFollower?: PolicyRoomFollower;
}

/** The guard's object graph: its HTTP apps (not yet listening) and what runs beside them. */
export interface ComposedGuard {
  /** The callback listener's app (`guard.listen`). */
  readonly api: FastifyInstance;
  /** The operations app (`guard.metrics_listen`). */
  readonly operations: FastifyInstance;
  /** The client-API proxy's app, with a `guard.client_proxy` or `guard.directory` section. */
  readonly clientProxy: FastifyInstance | undefined;
  readonly metrics: GuardMetrics;
  readonly lookup: LookupMonitor;
  /** Reports into the alert room (`guard.reports` with a database): where room reports go. */
  readonly reports: Pick<Reports, "acceptRoomReport"> | undefined;
  /** The decisions log, with `database`. */
  readonly decisions: DecisionLog | undefined;
  /** The dashboard's app, with `guard.dashboard` and a database. */
  readonly dashboard: FastifyInstance | undefined;
  /** Starts the timers and the alert-room command listener. */
  start(): void;
  /** Resolves when queued alerts are sent or given up. */
  alertsIdle(): Promise<void>;
  /** Stops the timers and apps, posts the last summaries, stops the alert bot. */
  stop(): Promise<void>;
}

/** Builds the guard described by `guard` around `ports`. */
export function composeGuard(guard: GuardConfig, ports: GuardPorts): ComposedGuard {
  const { logger } = ports;
  const now = ports.now ?? (() => Date.now());
  const readSecret = ports.readSecret ?? readSecretFile;
  const metrics = createGuardMetrics();
  const runInBackground = backgroundRunner(logger);
  const looseFiles = looseSecretFiles(guardSecretFiles(guard));
  for (const file of looseFiles)
    logger.warn({ file }, "secret file is readable by group or others: chmod 600 it");
  const readyWarnings = looseFiles.length === 0 ? [] : [looseSecretWarning(looseFiles.length)];
  const pseudonym = cachedPseudonyms(pseudonymSecret(guard, readSecret));
  const decisions =
    ports.database === undefined
      ? undefined
      : new DecisionLog({
          db: ports.database,
          now,
          retentionMs: durationMs(guard.decisions.retention),
        });
  const operationsToken =
    guard.operations_token_file === undefined ? undefined : readSecret(guard.operations_token_file);
  const onInternalError = (e: unknown) =>
    logger.error(
      { err: { name: (e as Error).name, message: (e as Error).message } },
      "internal error",
    );

  const adminCall = adminCaller(guard, readSecret, logger);
  const admin = adminCall === undefined ? undefined : new SynapseAdmin(adminCall);
  const facts =
    ports.roomFacts ??
    (admin === undefined
      ? UNKNOWN_MEMBERSHIP
      : new AdminApiFacts(admin, durationMs(guard.cache.membership_ttl), now, (purpose, reason) => {
          metrics.adminApiFailures.inc({ purpose });
          logger.warn({ purpose, reason }, "Synapse admin API request failed");
        }));
  const suspender = guard.freeze.suspend_account ? admin : undefined;
  const alertRoom = alertRoomSender(guard, readSecret, metrics, logger, ports.alerts);
  const reactions = new Reactions({
    alerts: alertRoom.sink,
    style: {
      includeRoomId: guard.alerts?.include_room_id ?? false,
      failModes: guard.fail_mode,
      ...(guard.directory === undefined ? {} : { directoryFailMode: guard.directory.fail_mode }),
    },
    inviteSummary: new InviteSummary(),
    suspender,
    runInBackground,
    logger,
    now,
    onSuspension: (result) => metrics.suspensions.inc({ action: "suspend", result }),
  });

  const lookupClient: LookupClient =
    ports.lookup ??
    (guard.lookup === undefined
      ? new NoLookupService()
      : lookupClientFor(guard.lookup, readSecret(guard.lookup.api_token_file)));
  let checkUnsupportedWarned = false;
  const lookup = new LookupMonitor(lookupClient, {
    now,
    onHealth: (event) => {
      metrics.lookupDegraded.set(event.kind === "lookup_degraded" ? 1 : 0);
      reactions.handle([event]);
      decisions?.events([event]);
    },
    observe: (operation, outcome, seconds) => {
      metrics.lookupRequests.inc({ operation, outcome });
      metrics.lookupSeconds.observe({ operation }, seconds);
      if (outcome === "unsupported" && !checkUnsupportedWarned) {
        checkUnsupportedWarned = true;
        logger.warn(
          "the lookup service refuses the batch check (no `directory` scope?): users found inside listed rooms are not reported, joins ask Synapse's admin API first, publications and directory rooms follow their fail modes",
        );
      }
    },
    probeRoom: "!redlight-probe:invalid" as RoomId,
    probeUser: pseudonym("@redlight-probe:invalid" as UserId),
  });

  const frozen = new FrozenAccounts(durationMs(guard.cache.frozen_recheck));
  const cache = new CleanVerdictCache(durationMs(guard.cache.clean_ttl), guard.cache.max_entries);
  // One matcher for invites and publishing (texts bounded by Synapse's event size) on this
  // thread; the directory and the text check match anyone's texts on matcher threads, so
  // that no search or page ever holds the event loop the callbacks are answered on.
  const termLists = guard.terms.map(termList);
  const terms = termMatcherOf(termLists);
  const directoryTexts =
    terms === undefined
      ? undefined
      : new ThreadedTextMatcher({
          lists: termLists,
          threads: DIRECTORY_TEXT_THREADS,
          maxQueued: DIRECTORY_TEXT_QUEUE,
          maxWaitMs: DIRECTORY_TEXT_MAX_WAIT_MS,
          onThreadFailure: (reason) => logger.error({ reason }, "a text matcher thread failed"),
        });
  const policyRooms = composePolicyRooms(guard, {
    readSecret,
    logger,
    admin: adminCall,
    alertCall: alertRoom.call,
    alerts: alertRoom.sink,
    now,
    ...(ports.policyFollower === undefined ? {} : { follower: ports.policyFollower }),
  });
  const service = new GuardService({
    ...(policyRooms === undefined ? {} : { policy: policyRooms.gate }),
    join: new JoinGate({
      lookup,
      frozen,
      cache,
      membership: facts,
      pseudonym,
      failMode: guard.fail_mode.user_may_join_room,
      now,
    }),
    invite: new InviteGate({
      lookup,
      frozen,
      cache,
      servers: new ServerPolicy({
        localInvitesOnly: guard.invites.local_invites_only,
        allowServers: guard.invites.allow_servers,
        denyServers: guard.invites.deny_servers,
        allowIpLiterals: guard.invites.allow_ip_literals,
      }),
      terms,
      roomTexts: facts,
      pseudonym,
      failMode: {
        local: guard.fail_mode.user_may_invite,
        remote: guard.fail_mode.federated_user_may_invite,
      },
      now,
    }),
    publish: new PublishGate({
      lookup,
      terms,
      roomTexts: facts,
      failMode: guard.fail_mode.user_may_publish_room,
    }),
    messages: new RefusalMessages(guard.messages),
    reactions,
    ...(decisions === undefined
      ? {}
      : {
          onDecision: (callback, decision, asKnock) =>
            decisions.decision(callback, decision, asKnock ? "knock" : undefined),
        }),
    failModes: guard.fail_mode,
    metrics,
    logger,
  });
  const unfreezer = new Unfreezer({
    lookup,
    frozen,
    pseudonym,
    suspender,
    alerts: alertRoom.sink,
    onResult: (origin, result) => metrics.unfreezes.inc({ origin, result }),
    onUnsuspend: (result) => metrics.suspensions.inc({ action: "unsuspend", result }),
    ...(decisions === undefined
      ? {}
      : { onUnfreeze: (user, origin, ok) => decisions.unfrozen(user, origin, ok) }),
  });
  const reports = composeReports({
    guard,
    database: ports.database,
    admin: adminCall,
    lookup,
    lookupToken: () => readSecret(guard.lookup?.api_token_file ?? ""),
    alerts: alertRoom.sink,
    logger,
    runInBackground,
    now,
    decisions,
  });
  const commands = commandListener(guard, alertRoom, unfreezer, logger, reports);

  // A bug is answered as a bare (non-JSON) 500, which Synapse treats by the module's fail_open.
  const api = createHttpServer({
    bodyLimit: GUARD_BODY_LIMIT,
    writeError: callbackErrorWriter(service),
    onInternalError,
  });
  registerCallbackRoutes(api, service, readSecret(guard.antispam_secret_file), () => ({
    lookup_reachable: !lookup.degraded,
    ...(readyWarnings.length + (policyRooms?.warnings().length ?? 0) === 0
      ? {}
      : { warnings: [...readyWarnings, ...(policyRooms?.warnings() ?? [])] }),
  }));
  const redirector = searchRedirector(guard, directoryTexts);
  if (guard.text_check_key_file !== undefined) {
    const key = readSecret(guard.text_check_key_file);
    registerTextCheckRoute(api, new TextCheck(redirector, metrics), key);
  }
  const operations = createHttpServer({
    bodyLimit: 4096,
    writeError: writeGuardError,
    onInternalError,
  });
  registerOperationsRoutes(operations, metrics.registry, unfreezer, operationsToken);

  const clientProxy =
    guard.client_proxy === undefined && guard.directory === undefined
      ? undefined
      : createHttpServer({
          bodyLimit: DIRECTORY_BODY_LIMIT,
          writeError: writeDirectoryError,
          onInternalError,
        });
  if (clientProxy !== undefined) {
    const homeserver = guard.homeserver_url.replace(/\/+$/, "");
    const limits = { timeoutMs: KNOCK_FORWARD_TIMEOUT_MS, maxBytes: DIRECTORY_BODY_LIMIT };
    const upstream: Homeserver = ({ path, signal, ...request }) =>
      callUpstream(
        { ...request, url: `${homeserver}${path}` },
        signal === undefined ? limits : { ...limits, signal },
      );
    const identities = new Identities({
      homeserver: upstream,
      ttlMs: WHOAMI_TTL_MS,
      maxEntries: WHOAMI_CACHED,
      now,
    });
    const knocks = new KnockGate({
      homeserver: upstream,
      identities,
      // Exactly the join gate's decision: no callback is asked for a knock.
      decideJoin: (user, room) =>
        service.answer("user_may_join_room", ok({ user, room, is_invited: false }), true),
      onOutcome: (outcome) => metrics.knocks.inc({ outcome }),
    });
    const roomReports = new RoomReports({
      homeserver: upstream,
      identities,
      onRoomReport: (report) => {
        reports?.acceptRoomReport(report);
        ports.onRoomReport?.(report);
      },
      onOutcome: (outcome) => metrics.roomReports.inc({ outcome }),
      now,
      runInBackground,
      logger,
    });
    registerClientProxyRoutes(clientProxy, knocks, roomReports);
  }
  const directory = composeDirectory({
    app: clientProxy,
    guard,
    texts: directoryTexts,
    redirector,
    lookup,
    anonymous: matrixCaller(guard.homeserver_url, "", ALERT_CALL_TIMEOUT_MS),
    admin: adminCall,
    alerts: alertRoom.sink,
    metrics,
    logger,
    runInBackground,
    now,
    decisions,
  });

  const dashboard =
    guard.dashboard === undefined || ports.database === undefined || decisions === undefined
      ? undefined
      : guardDashboard({
          db: ports.database,
          decisions,
          unfreezer,
          reports,
          callAs: (token) => matrixCaller(guard.homeserver_url, token, ALERT_CALL_TIMEOUT_MS),
          alertRoom:
            guard.alerts === undefined || alertRoom.call === undefined
              ? undefined
              : { roomId: guard.alerts.room_id, call: alertRoom.call },
          sessionTtlMs: durationMs(guard.dashboard.session_ttl),
          now,
          onInternalError,
          audit: (message, detail) => logger.info(detail, message),
        });

  const sweeps = sweepSchedule(guard, {
    lookup,
    database: ports.database,
    readSecret,
    matchesTerms: terms === undefined ? undefined : (text) => terms.match(text).matched,
    logger,
    metrics,
    now,
    runInBackground,
    alerts: alertRoom.sink,
    decisions,
  });

  const summaryMs = durationMs(guard.alerts?.invite_summary_interval ?? "1m");
  let timers: NodeJS.Timeout[] = [];
  return {
    api,
    operations,
    clientProxy,
    metrics,
    lookup,
    reports,
    decisions,
    dashboard,
    start() {
      timers = [
        setInterval(() => reactions.flushInviteSummary(summaryMs), summaryMs),
        setInterval(() => runInBackground("lookup probe", () => lookup.probe()), PROBE_EVERY_MS),
        setInterval(() => {
          metrics.knownFrozen.set(frozen.size);
          metrics.cachedCleanRooms.set(cache.size);
        }, GAUGES_EVERY_MS),
        ...(directory?.timers() ?? []),
        ...(reports?.timers() ?? []),
        ...(decisions === undefined
          ? []
          : [
              setInterval(
                () => runInBackground("decisions log", () => decisions.flush()),
                DECISIONS_FLUSH_MS,
              ),
              setInterval(
                () =>
                  runInBackground("decisions retention", () =>
                    decisions.prune().then(() => undefined),
                  ),
                DECISIONS_PRUNE_MS,
              ),
            ]),
      ];
      for (const timer of timers) timer.unref();
      commands?.start();
      sweeps?.start();
      policyRooms?.start();
      if (admin === undefined) {
        logger.warn(
          "no guard.admin_token_file: re-joins and profile changes cannot be told from new joins and count as attempts",
        );
      }
    },
    alertsIdle: () => alertRoom.idle(),
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all([
        api.close(),
        operations.close(),
        clientProxy?.close(),
        dashboard?.close(),
        commands?.stop(),
        sweeps?.stop(),
        policyRooms?.stop(),
      ]);
      directory?.stop();
      await reports?.idle();
      reactions.flushInviteSummary(summaryMs);
      await alertRoom.stop();
      await decisions
        ?.flush()
        .catch((e: unknown) =>
          logger.error(
            { err: { message: (e as Error).message } },
            "decisions log: last write failed",
          ),
        );
      lookupClient.close?.();
      await directoryTexts?.stop();
    },
  };
}

function pseudonymSecret(guard: GuardConfig, readSecret: (path: string) => string): string {
  const secret = readSecret(guard.pseudonym_secret_file);
  if (secret.length < MIN_PSEUDONYM_SECRET) {
    throw new Error(
      `${guard.pseudonym_secret_file}: the pseudonym secret needs at least ${MIN_PSEUDONYM_SECRET} characters`,
    );
  }
  return secret;
}

/** Calls with the admin token, when one is configured. */
function adminCaller(
  guard: GuardConfig,
  readSecret: (path: string) => string,
  logger: Logger,
): MatrixCall | undefined {
  if (guard.admin_token_file === undefined) {
    if (guard.freeze.suspend_account)
      logger.warn("freeze.suspend_account needs guard.admin_token_file; no suspensions");
    return undefined;
  }
  const token = readSecret(guard.admin_token_file);
  return matrixCaller(guard.homeserver_url, token, durationMs(guard.admin_api_timeout));
}

/** The alert room: where alerts go, and the bot's client-server calls (for commands). */
interface AlertRoom {
  readonly sink: AlertSink;
  readonly call: MatrixCall | undefined;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function alertRoomSender(
  guard: GuardConfig,
  readSecret: (path: string) => string,
  metrics: GuardMetrics,
  logger: Logger,
  given: AlertSink | undefined,
): AlertRoom {
  const quiet = { call: undefined, idle: () => Promise.resolve(), stop: () => Promise.resolve() };
  if (given !== undefined) return { sink: given, ...quiet };
  if (guard.alerts === undefined) {
    const sink = new LogOnlyAlertSink((kind, text) => logger.warn({ alert: kind }, text));
    return { sink, ...quiet };
  }
  const call = matrixCaller(
    guard.homeserver_url,
    readSecret(guard.alerts.access_token_file),
    ALERT_CALL_TIMEOUT_MS,
  );
  const sender = new MatrixAlertSender({
    call,
    roomId: guard.alerts.room_id,
    onOutcome: (kind, outcome, reason) => {
      metrics.alerts.inc({ kind, outcome });
      if (outcome === "failed" || outcome === "dropped")
        logger.error({ alert: kind, reason }, "alert not delivered");
    },
  });
  return { sink: sender, call, idle: () => sender.idle(), stop: () => sender.stop() };
}

/** The alert-room command listener, when alerts and commands are on. */
function commandListener(
  guard: GuardConfig,
  alertRoom: AlertRoom,
  unfreezer: Unfreezer,
  logger: Logger,
  reports: Reports | undefined,
): CommandListener | undefined {
  const call = alertRoom.call;
  if (guard.alerts === undefined || call === undefined || !guard.alerts.commands) return undefined;
  return new CommandListener({
    call,
    roomId: guard.alerts.room_id,
    unfreeze: async (user, actor) => {
      const outcome = await unfreezer.unfreeze(user, actor, "alert_room");
      // On success the "Account unfrozen" alert is the reply.
      return outcome.ok ? undefined : `${actor}: ${outcome.error}`;
    },
    ...(reports === undefined ? {} : { reports: reports.command }),
    reply: (text) => alertRoom.sink.post("command_reply", commandReply(text)),
    log: (message, detail) => logger.info(detail ?? {}, message),
  });
}

/** The sweeps' schedule, when `guard.sweep`, an admin token and a database are there. */
function sweepSchedule(
  guard: GuardConfig,
  deps: Omit<SweepParts, "guard" | "database"> & {
    readonly database: SqlDatabase | undefined;
    readonly runInBackground: RunInBackground;
    readonly alerts: AlertSink;
  },
): SweepSchedule | undefined {
  if (guard.sweep === undefined) return undefined;
  if (deps.database === undefined) {
    deps.logger.warn("guard.sweep without the guard's database: no sweeps");
    return undefined;
  }
  const sweeper = composeSweeper({ ...deps, guard, database: deps.database });
  if (typeof sweeper === "string") {
    deps.logger.warn(`${sweeper}: no sweeps`);
    return undefined;
  }
  const includeRoomId = guard.alerts?.include_room_id ?? false;
  return new SweepSchedule({
    sweep: (signal) => sweeper.sweep({ signal }),
    lookup: deps.lookup,
    intervalMs: durationMs(guard.sweep.interval),
    runInBackground: deps.runInBackground,
    onReport: (report) => reportSweep(report, { ...deps, includeRoomId }),
  });
}

/** The redirector for `guard.terms` and the help texts of each list. */
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
interface DirectoryDeps {
  /** The client-API proxy's app, which serves the directory paths too. */
  readonly app: FastifyInstance | undefined;
  readonly guard: GuardConfig;
  /** Matches room texts (off the event loop); undefined without term lists. */
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
  readonly decisions: DecisionLog | undefined;
}

/** The directory proxy's app and its periodic work, or nothing without `guard.directory`. */
function composeDirectory(deps: DirectoryDeps) {
  const { guard, metrics, logger, runInBackground, now } = deps;
  const config = guard.directory;
  if (config === undefined || deps.app === undefined) return undefined;
  const listed = new ListedRooms({
    lookup: deps.lookup,
    ttlMs: durationMs(config.verdict_ttl),
    staleMs: durationMs(config.stale_verdict_ttl),
    maxEntries: DIRECTORY_VERDICTS_CACHED,
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
    // A key per process, never stored: a restart sends paging clients back to page one.
    paging: new DirectoryPaging(PageTokens.random(durationMs(config.page_token_ttl), now)),
    texts: {
      remoteSearchFailed: guard.messages.remote_search_failed,
      unavailable: guard.messages.directory_unavailable,
      defaultLanguage: guard.messages.default_language,
    },
    metrics,
    onHidden: (hidden) => summary.record(hidden),
    ...(deps.decisions === undefined
      ? {}
      : {
          onRedirected: (listId: string, harms: readonly string[]) =>
            deps.decisions?.record({
              action: "search",
              outcome: "redirected",
              reason: listId,
              tag: tagKey(harms),
            }),
        }),
    logger,
  });
  registerDirectoryRoutes(deps.app, service);

  const reportMs = durationMs(config.report_interval);
  const includeRoomId = guard.alerts?.include_room_id ?? false;
  const report = () => {
    const text = summary.flush(reportMs, includeRoomId);
    if (text !== undefined) deps.alerts.post("directory_rooms_hidden", text);
  };
  const refreshCurated = () => {
    if (curated !== undefined) runInBackground("curated rooms", () => curated.refresh());
  };
  return {
    /** Refreshes the curated rooms now and returns the directory's periodic timers. */
    timers(): NodeJS.Timeout[] {
      refreshCurated();
      return [
        setInterval(report, reportMs),
        setInterval(() => metrics.directoryCachedVerdicts.set(listed.size), GAUGES_EVERY_MS),
        ...(curated === undefined
          ? []
          : [setInterval(refreshCurated, durationMs(config.curated_refresh))]),
      ];
    },
    /** Posts the last summary (the app is closed with the proxy). */
    stop() {
      report();
    },
  };
}
