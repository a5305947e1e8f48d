/**
 * Wires sweeps (sweep/) to Synapse's admin API (synapse/sweep-homeserver.ts), the lookup
 * service, the guard's database and the alert room: used by compose.ts for the running
 * guard and by `redlight guard sweep` for one sweep now.
 */
import { durationMs, type GuardConfig } from "../../config/schema.js";
import type { Logger } from "../../observability/logger.js";
import type { SqlExecutor } from "../../storage/sql-database.js";
import { readSecretFile } from "../../config/secrets.js";
import { openGuardDatabase } from "../../storage/guard-database.js";
import { LogOnlyAlertSink, type AlertSink } from "./alerts/alert-sender.js";
import { lookupClientFor } from "./lookup/choose-client.js";
import type { LookupClient } from "./lookup/lookup-client.js";
import { NoLookupService } from "./lookup/no-lookup-client.js";
import { DecisionLog } from "./decisions/decision-log.js";
import type { DecisionRecord, DecisionRecorder } from "./decisions/decision-record.js";
import type { GuardMetrics } from "./metrics/guard-metrics.js";
import { matrixCaller } from "./synapse/matrix-http.js";
import { SynapseSweepHomeserver } from "./synapse/sweep-homeserver.js";
import { SqlSweepLedger } from "./sweep/sweep-ledger.js";
import type { SweepAction } from "./sweep/sweep-ports.js";
import type { SweepReport } from "./sweep/sweep-report.js";
import { Sweeper } from "./sweep/sweeper.js";
import { loadTermMatcher } from "./term-lists.js";
import { commandLineAlertSender } from "./operations/command-line-alerts.js";

/** What sweeps are made of. */
export interface SweepParts {
  readonly guard: GuardConfig;
  readonly lookup: LookupClient;
  readonly database: SqlExecutor;
  readonly readSecret: (path: string) => string;
  readonly matchesTerms: ((text: string) => boolean) | undefined;
  readonly logger: Logger;
  readonly metrics?: GuardMetrics;
  readonly now: () => number;
  /** The decisions log: each action taken or failed, as automated. */
  readonly decisions?: DecisionRecorder | undefined;
}

/** The sweeper for `guard.sweep`, or why there is none. */
export function composeSweeper(parts: SweepParts): Sweeper | string {
  const { guard, logger, metrics } = parts;
  if (guard.sweep === undefined) return "no guard.sweep section";
  if (guard.admin_token_file === undefined) return "sweeps need guard.admin_token_file";
  const timeoutMs = durationMs(guard.admin_api_timeout);
  const admin = matrixCaller(
    guard.homeserver_url,
    parts.readSecret(guard.admin_token_file),
    Math.max(timeoutMs, 10_000), // a sweep is not in a hurry; Synapse's pages can be slow
  );
  return new Sweeper({
    homeserver: new SynapseSweepHomeserver(
      admin,
      (token, ms) => matrixCaller(guard.homeserver_url, token, ms),
      parts.now,
    ),
    lookup: parts.lookup,
    ledger: new SqlSweepLedger(parts.database, parts.readSecret(guard.pseudonym_secret_file)),
    policy: {
      rejectPendingInvites: guard.sweep.reject_pending_invites,
      membersOfListedRooms: guard.sweep.members_of_listed_rooms,
    },
    matchesTerms: parts.matchesTerms,
    now: parts.now,
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    onAction: (action, result, reason) => {
      metrics?.sweepActions.inc({ action, result });
      const record = sweepRecord(action, result);
      if (record !== undefined) parts.decisions?.record(record);
      const detail = reason === undefined ? { action, result } : { action, result, reason };
      if (result === "failed") logger.warn(detail, "sweep action failed (retried next sweep)");
      else logger.info(detail, "sweep action");
    },
  });
}

/** The decisions log's record of one sweep action (automated); none for a room already gone. */
export function sweepRecord(
  action: SweepAction,
  result: "done" | "failed" | "gone",
): DecisionRecord | undefined {
  // A room gone before the sweep acted is no action of the guard's.
  if (result === "gone") return undefined;
  return { action: "sweep", outcome: result, reason: action, automated: true };
}

/** Logs, counts and alerts one finished sweep (the alert names only new actions). */
export function reportSweep(
  report: SweepReport,
  deps: {
    readonly logger: Logger;
    readonly metrics?: GuardMetrics;
    readonly alerts: AlertSink;
    readonly includeRoomId: boolean;
  },
): void {
  const outcome = report.failures > 0 ? "failures" : report.newActions > 0 ? "acted" : "clean";
  deps.metrics?.sweeps.inc({ outcome });
  deps.logger.info(
    {
      users: report.users,
      rooms: report.rooms,
      listed_rooms: report.listedRooms,
      new_actions: report.newActions,
      failures: report.failures,
      dry_run: report.dryRun,
    },
    "sweep finished",
  );
  const text = report.alert(deps.includeRoomId);
  if (text !== undefined) deps.alerts.post("sweep_summary", text);
}

/**
 * One sweep now, without a running guard (`redlight guard sweep`): the same sweeper, its
 * ledger in the guard's database (so a running guard does not repeat what this did), the
 * summary to the alert room. `dryRun` acts on nothing and records nothing.
 */
export async function sweepOnce(
  guard: GuardConfig,
  logger: Logger,
  dryRun: boolean,
): Promise<SweepReport> {
  const terms = loadTermMatcher(guard.terms);
  // Without a lookup service no room is listed: only term-named invites are found.
  const lookup: LookupClient =
    guard.lookup === undefined
      ? new NoLookupService()
      : lookupClientFor(guard.lookup, readSecretFile(guard.lookup.api_token_file));
  const database = await openGuardDatabase(guard.database);
  const sender = dryRun ? undefined : commandLineAlertSender(guard);
  // Its actions are counted in the decisions log like a running guard's.
  const decisions = new DecisionLog({
    db: database,
    now: () => Date.now(),
    retentionMs: durationMs(guard.decisions.retention),
  });
  try {
    const sweeper = composeSweeper({
      guard: { ...guard, sweep: guard.sweep ?? SWEEP_DEFAULTS },
      decisions,
      lookup,
      database,
      readSecret: readSecretFile,
      matchesTerms: terms === undefined ? undefined : (text) => terms.match(text).matched,
      logger,
      now: () => Date.now(),
    });
    if (typeof sweeper === "string") throw new Error(sweeper);
    const report = await sweeper.sweep({ dryRun });
    await decisions.flush();
    reportSweep(report, {
      logger,
      alerts: sender ?? new LogOnlyAlertSink(() => undefined),
      includeRoomId: guard.alerts?.include_room_id ?? false,
    });
    return report;
  } finally {
    lookup.close?.();
    await sender?.stop(15_000);
    await database.close();
  }
}

/** `guard.sweep` as `sweep: {}` gives it, for a one-off sweep of a config without one. */
const SWEEP_DEFAULTS: NonNullable<GuardConfig["sweep"]> = {
  interval: "10m",
  reject_pending_invites: true,
  members_of_listed_rooms: ["alert"],
};
