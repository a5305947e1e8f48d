/**
 * Small builders the guard's composition root (main.ts) uses: the admin API caller, the
 * alert sink and the alert-room command listener. No decisions live here.
 */
import { durationMs, type GuardConfig } from "../../config/schema.js";
import { readSecretFile } from "../../config/secrets.js";
import type { Logger } from "../../observability/logger.js";
import { commandReply } from "./alerts/alert-text.js";
import { LogOnlyAlertSink, MatrixAlertSender, type AlertSink } from "./alerts/alert-sender.js";
import { CommandListener } from "./alerts/command-listener.js";
import { matrixCaller, type MatrixCall } from "./synapse/matrix-http.js";
import type { GuardMetrics } from "./metrics/guard-metrics.js";
import type { Unfreezer } from "./operations/unfreeze.js";

/** Calls with the admin token, when one is configured. */
export function adminCaller(guard: GuardConfig, logger: Logger): MatrixCall | undefined {
  if (guard.admin_token_file === undefined) {
    if (guard.freeze.suspend_account)
      logger.warn("freeze.suspend_account needs guard.admin_token_file; no suspensions");
    return undefined;
  }
  const token = readSecretFile(guard.admin_token_file);
  return matrixCaller(guard.homeserver_url, token, durationMs(guard.admin_api_timeout));
}

/** The alert room sender, or a log-only sink without `guard.alerts`. */
export function alertSink(guard: GuardConfig, metrics: GuardMetrics, logger: Logger) {
  if (guard.alerts === undefined) {
    const sink: AlertSink = new LogOnlyAlertSink((kind, text) =>
      logger.warn({ alert: kind }, text),
    );
    return { sink, call: undefined, idle: () => Promise.resolve(), stop: () => Promise.resolve() };
  }
  const call = matrixCaller(
    guard.homeserver_url,
    readSecretFile(guard.alerts.access_token_file),
    10_000,
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
  return { sink: sender as AlertSink, call, idle: () => sender.idle(), stop: () => sender.stop() };
}

/** The alert-room command listener, when alerts and commands are on. */
export function commandListener(
  guard: GuardConfig,
  call: ReturnType<typeof matrixCaller> | undefined,
  unfreezer: Unfreezer,
  alerts: AlertSink,
  logger: Logger,
): CommandListener | undefined {
  if (guard.alerts === undefined || call === undefined || !guard.alerts.commands) return undefined;
  return new CommandListener({
    call,
    roomId: guard.alerts.room_id,
    unfreeze: async (user, actor) => {
      const outcome = await unfreezer.unfreeze(user, actor, "alert_room");
      // On success the "Account unfrozen" alert is the reply.
      return outcome.ok ? undefined : `${actor}: ${outcome.error}`;
    },
    reply: (text) => alerts.post("command_reply", commandReply(text)),
    log: (message, detail) => logger.info(detail ?? {}, message),
  });
}
