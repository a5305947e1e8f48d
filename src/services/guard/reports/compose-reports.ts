/**
 * Wiring of the reports feature (`guard.reports`), called by the guard's composition
 * function: the poller of Synapse's reports, the report commands and the escalation
 * follower, with their timers.
 */
import { durationMs, type GuardConfig } from "../../../config/schema.js";
import type { RoomId } from "../../../core/ids.js";
import type { RunInBackground } from "../../../observability/background.js";
import type { Logger } from "../../../observability/logger.js";
import type { SqlDatabase } from "../../../storage/sql-database.js";
import type { AlertSink } from "../alerts/alert-sender.js";
import type { DecisionRecorder } from "../decisions/decision-record.js";
import type { ReportCommand } from "../alerts/commands.js";
import type { CheckResult } from "../lookup/lookup-client.js";
import { NO_PROVIDER, HttpReportUplink, type ReportUplink } from "../lookup/report-client.js";
import { SynapseAdmin } from "../synapse/synapse-admin.js";
import { matrixCaller, type MatrixCall } from "../synapse/matrix-http.js";
import { GuardReports, type RoomReport } from "./guard-reports.js";
import { ReportCommands } from "./report-commands.js";
import type { ReportStore } from "./report-store.js";
import { SynapseReports } from "./synapse-reports.js";

/** What the reports feature needs from the guard. */
export interface ReportsDeps {
  readonly guard: GuardConfig;
  readonly database: SqlDatabase | undefined;
  /** Admin API calls, when an admin token is configured. */
  readonly admin: MatrixCall | undefined;
  readonly lookup: { check(rooms: readonly RoomId[]): Promise<CheckResult> };
  readonly lookupToken: () => string;
  /** The provider's report endpoints (default: HTTP to `guard.lookup.url`). */
  readonly uplink?: ReportUplink;
  readonly alerts: AlertSink;
  readonly logger: Logger;
  readonly runInBackground: RunInBackground;
  readonly now: () => number;
  /** The decisions log: reports received and actions on them. */
  readonly decisions?: DecisionRecorder | undefined;
}

/** The running feature. */
export interface Reports {
  /** Takes a room report (from the client-API proxy); posted within one poll interval. */
  acceptRoomReport(report: RoomReport): void;
  /** The reports kept (read by the dashboard). */
  readonly store: ReportStore;
  /** Runs an alert-room report command; answers the reply. */
  readonly command: (command: ReportCommand, actor: string) => Promise<string>;
  timers(): NodeJS.Timeout[];
  /** Resolves when the pass under way is done. */
  idle(): Promise<void>;
}

/** Builds the feature, or nothing without `guard.reports` (or without a database). */
export function composeReports(deps: ReportsDeps): Reports | undefined {
  const { guard, database, logger, runInBackground, now } = deps;
  const config = guard.reports;
  if (config === undefined) return undefined;
  if (database === undefined) {
    logger.warn("guard.reports needs the guard's database; reports are off");
    return undefined;
  }
  if (deps.admin === undefined)
    logger.warn("guard.reports without admin_token_file: Synapse's reports are not read");
  const synapse = deps.admin === undefined ? undefined : new SynapseReports(deps.admin);
  const reports = new GuardReports({
    db: database,
    synapse,
    check: (rooms) => deps.lookup.check(rooms),
    alerts: deps.alerts,
    logger,
    now,
    decisions: deps.decisions,
  });
  const commands = new ReportCommands({
    store: reports.store,
    synapse,
    suspender: deps.admin === undefined ? undefined : new SynapseAdmin(deps.admin),
    uplink:
      deps.uplink ??
      (guard.lookup === undefined
        ? NO_PROVIDER
        : new HttpReportUplink(
            matrixCaller(guard.lookup.url, deps.lookupToken(), durationMs(guard.lookup.timeout)),
          )),
    alerts: deps.alerts,
    logger,
    now,
    decisions: deps.decisions,
  });
  const pass = () => runInBackground("reports", () => reports.pass());
  let following: Promise<void> | undefined;
  const follow = () =>
    runInBackground("escalations", async () => {
      if (following !== undefined) return;
      following = commands.followEscalations().finally(() => (following = undefined));
      await following;
    });
  return {
    acceptRoomReport(report) {
      reports.acceptRoomReport(report);
      pass();
    },
    store: reports.store,
    command: (command, actor) => commands.run(command, actor),
    timers() {
      pass();
      return [
        setInterval(pass, durationMs(config.poll_interval)),
        setInterval(follow, durationMs(config.escalation_poll_interval)),
      ];
    },
    async idle() {
      await Promise.all([reports.idle(), following?.catch(() => undefined)]);
    },
  };
}
