/**
 * Composition root of the guard: builds the object graph from config and starts it. No
 * decisions live here.
 */
import { durationMs, type Config } from "../../config/schema.js";
import { readSecretFile } from "../../config/secrets.js";
import type { RoomId, UserId } from "../../core/ids.js";
import { createHttpServer } from "../../http/fastify.js";
import { listenOn } from "../../http/listen.js";
import { backgroundRunner } from "../../observability/background.js";
import type { Logger } from "../../observability/logger.js";
import { InviteSummary } from "./alerts/invite-summary.js";
import { searchRedirector, startDirectory, type DirectoryHandle } from "./directory/compose.js";
import { TextCheck } from "./directory/text-check.js";
import { FrozenAccounts } from "./frozen-accounts.js";
import { GuardService } from "./guard-service.js";
import { InviteGate } from "./invite-gate.js";
import { ServerPolicy } from "./invite-policy.js";
import { JoinGate } from "./join-gate.js";
import { StandardLookupClient } from "./lookup-client.js";
import { LookupMonitor } from "./lookup-monitor.js";
import { matrixCaller } from "./matrix-http.js";
import { AdminApiFacts, UNKNOWN_MEMBERSHIP } from "./membership.js";
import { RefusalMessages } from "./messages.js";
import { createGuardMetrics } from "./metrics.js";
import { cachedPseudonyms } from "./pseudonyms.js";
import { PublishGate } from "./publish-gate.js";
import { Reactions } from "./reactions.js";
import {
  callbackErrorWriter,
  registerCallbackRoutes,
  registerOperationsRoutes,
  registerTextCheckRoute,
  writeGuardError,
} from "./routes.js";
import { SynapseAdmin } from "./synapse-admin.js";
import { loadTermMatcher } from "./term-lists.js";
import { Unfreezer } from "./unfreeze.js";
import { CleanVerdictCache } from "./verdict-cache.js";
import type { GuardEvent } from "./verdict.js";
import { adminCaller, alertSink, commandListener } from "./wiring.js";

/** Callback bodies are small; a federated invite with its stripped state stays far below. */
export const GUARD_BODY_LIMIT = 256 * 1024;
const PROBE_EVERY_MS = 5_000;
const MIN_PSEUDONYM_SECRET = 32;

/** A running guard. */
export interface GuardHandle {
  /** `http://host:port` of the callback listener. */
  readonly url: string;
  readonly operationsUrl: string;
  /** The room directory proxy's listener, when `guard.directory` is configured. */
  readonly directoryUrl: string | undefined;
  /** Resolves when queued alerts are sent or given up (tests). */
  alertsIdle(): Promise<void>;
  /** Stops listening, posts the last invite summary, stops the alert bot. */
  stop(): Promise<void>;
}

/** Starts the guard described by `config.guard`. */
export async function startGuard(config: Config, logger: Logger): Promise<GuardHandle> {
  const guard = config.guard;
  if (guard === undefined) throw new Error("the config has no guard section");
  const now = () => Date.now();
  const metrics = createGuardMetrics();
  const runInBackground = backgroundRunner(logger);
  const pseudonymSecret = readSecretFile(guard.pseudonym_secret_file);
  if (pseudonymSecret.length < MIN_PSEUDONYM_SECRET) {
    throw new Error(
      `${guard.pseudonym_secret_file}: the pseudonym secret needs at least ${MIN_PSEUDONYM_SECRET} characters`,
    );
  }
  const pseudonym = cachedPseudonyms(pseudonymSecret);

  const adminCall = adminCaller(guard, logger);
  const admin = adminCall === undefined ? undefined : new SynapseAdmin(adminCall);
  const facts =
    admin === undefined
      ? UNKNOWN_MEMBERSHIP
      : new AdminApiFacts(admin, durationMs(guard.cache.membership_ttl), now, (purpose, reason) => {
          metrics.adminApiFailures.inc({ purpose });
          logger.warn({ purpose, reason }, "Synapse admin API request failed");
        });
  const suspender = guard.freeze.suspend_account ? admin : undefined;
  const alerts = alertSink(guard, metrics, logger);
  const reactions = new Reactions({
    alerts: alerts.sink,
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

  let checkUnsupportedWarned = false;
  const lookupClient = new StandardLookupClient({
    baseUrl: guard.lookup.url,
    token: readSecretFile(guard.lookup.api_token_file),
    timeoutMs: durationMs(guard.lookup.timeout),
  });
  const lookup = new LookupMonitor(lookupClient, {
    now,
    onHealth: (event: GuardEvent) => {
      metrics.lookupDegraded.set(event.kind === "lookup_degraded" ? 1 : 0);
      reactions.handle([event]);
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
  const noteFailMode = (mode: "open" | "closed") => lookup.noteFailModeDecision(mode);
  // One matcher for invites, publishing, the directory and the text check.
  const terms = loadTermMatcher(guard.terms);
  const join = new JoinGate({
    lookup,
    frozen,
    cache,
    membership: facts,
    pseudonym,
    failMode: guard.fail_mode.user_may_join_room,
    now,
    noteFailMode,
  });
  const invite = new InviteGate({
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
    noteFailMode,
  });
  const publish = new PublishGate({
    lookup,
    terms,
    roomTexts: facts,
    failMode: guard.fail_mode.user_may_publish_room,
    noteFailMode,
  });
  const service = new GuardService({
    join,
    invite,
    publish,
    messages: new RefusalMessages(guard.messages),
    reactions,
    failModes: guard.fail_mode,
    metrics,
    logger,
  });
  const unfreezer = new Unfreezer({
    lookup,
    frozen,
    pseudonym,
    suspender,
    alerts: alerts.sink,
    onResult: (origin, result) => metrics.unfreezes.inc({ origin, result }),
    onUnsuspend: (result) => metrics.suspensions.inc({ action: "unsuspend", result }),
  });
  const commands = commandListener(guard, alerts.call, unfreezer, alerts.sink, logger);

  // A bug is answered as a bare (non-JSON) 500, which Synapse treats by the module's fail_open.
  const onInternalError = (e: unknown) =>
    logger.error(
      { err: { name: (e as Error).name, message: (e as Error).message } },
      "internal error",
    );
  const api = createHttpServer({
    bodyLimit: GUARD_BODY_LIMIT,
    writeError: callbackErrorWriter(service),
    onInternalError,
  });
  registerCallbackRoutes(api, service, readSecretFile(guard.antispam_secret_file), () => ({
    lookup_reachable: !lookup.degraded,
  }));
  const redirector = searchRedirector(guard, terms);
  if (guard.text_check_key_file !== undefined) {
    const key = readSecretFile(guard.text_check_key_file);
    registerTextCheckRoute(api, new TextCheck(redirector, metrics), key);
  }
  const ops = createHttpServer({ bodyLimit: 4096, writeError: writeGuardError, onInternalError });
  registerOperationsRoutes(ops, metrics.registry, unfreezer);
  const closeListeners = () => Promise.all([api.close(), ops.close()]);
  let url: string, operationsUrl: string, directory: DirectoryHandle | undefined;
  try {
    url = await listenOn(api, guard.listen);
    operationsUrl = await listenOn(ops, guard.metrics_listen);
    directory = await startDirectory({
      guard,
      terms,
      redirector,
      lookup,
      anonymous: matrixCaller(guard.homeserver_url, "", 10_000),
      admin: adminCall,
      alerts: alerts.sink,
      metrics,
      logger,
      runInBackground,
      now,
      onInternalError,
    });
  } catch (e) {
    // A listener that could not bind must not leave the others (or the alert bot) running.
    await Promise.all([closeListeners(), alerts.stop()]);
    lookupClient.close();
    throw e;
  }

  const summaryMs = durationMs(guard.alerts?.invite_summary_interval ?? "1m");
  const timers = [
    setInterval(() => reactions.flushInviteSummary(summaryMs), summaryMs),
    setInterval(() => runInBackground("lookup probe", () => lookup.probe()), PROBE_EVERY_MS),
    setInterval(() => {
      metrics.knownFrozen.set(frozen.size);
      metrics.cachedCleanRooms.set(cache.size);
    }, 5_000),
  ];
  for (const timer of timers) timer.unref();
  commands?.start();
  if (admin === undefined) {
    logger.warn(
      "no guard.admin_token_file: re-joins and profile changes cannot be told from new joins and count as attempts",
    );
  }
  logger.info(
    { callbacks: url, operations: operationsUrl, alerts: guard.alerts !== undefined },
    "guard listening",
  );

  return {
    url,
    operationsUrl,
    directoryUrl: directory?.url,
    alertsIdle: () => alerts.idle(),
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all([api.close(), ops.close(), directory?.stop(), commands?.stop()]);
      reactions.flushInviteSummary(summaryMs);
      await alerts.stop();
      lookupClient.close();
      logger.info("guard stopped");
    },
  };
}
