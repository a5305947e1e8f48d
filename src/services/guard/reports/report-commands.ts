/**
 * What moderators do with reports from the alert room (docs/reports.md): dismiss one,
 * suspend or unsuspend an account (Synapse's suspend admin API, as freezes do), block a
 * reported room (Synapse's room block admin API), or escalate a reported room to the
 * provider (the report extension of LJS-4) — never automatically. The listener has already
 * checked the sender's power level; every answer here is the reply in the room.
 */
import type { UserId } from "../../../core/ids.js";
import type { Result } from "../../../core/result.js";
import type { Logger } from "../../../observability/logger.js";
import type { AlertSink } from "../alerts/alert-sender.js";
import type { ReportCommand } from "../alerts/commands.js";
import type { ReportUplink } from "../lookup/report-client.js";
import type { DecisionRecorder } from "../decisions/decision-record.js";
import { reportActed, type ReportAction } from "./report-records.js";
import { outcomeAlert } from "./report-text.js";
import type { GuardReport, ReportStore } from "./report-store.js";
import type { SynapseReports } from "./synapse-reports.js";

/** What the commands use. */
export interface ReportCommandsDeps {
  readonly store: ReportStore;
  /** Synapse's admin APIs; undefined without an admin token. */
  readonly synapse: SynapseReports | undefined;
  readonly suspender:
    { setSuspended(user: UserId, suspended: boolean): Promise<Result<void, string>> } | undefined;
  readonly uplink: ReportUplink;
  readonly alerts: AlertSink;
  readonly logger: Logger;
  readonly now: () => number;
  /** The decisions log: each action taken (or failed) on a report. */
  readonly decisions?: DecisionRecorder | undefined;
}

const NO_ADMIN = "needs guard.admin_token_file (Synapse's admin API); nothing was changed";

/** Runs report commands and follows escalations. */
export class ReportCommands {
  constructor(private readonly deps: ReportCommandsDeps) {}

  /** Runs `command` for `actor`; answers the reply. */
  async run(command: ReportCommand, actor: string): Promise<string> {
    const { logger } = this.deps;
    logger.info({ command: command.kind, actor }, "alert room report command");
    if (command.kind === "suspend" || command.kind === "unsuspend") {
      const suspender = this.deps.suspender;
      if (suspender === undefined) return `${actor}: ${command.kind} ${NO_ADMIN}.`;
      const done = await suspender.setSuspended(command.user, command.kind === "suspend");
      this.deps.decisions?.record(
        reportActed(command.kind === "suspend" ? "suspended" : "unsuspended", done.ok),
      );
      if (done.ok && command.kind === "suspend")
        await this.deps.store.actedOnUser(command.user, this.deps.now());
      return done.ok
        ? `${actor} ${command.kind === "suspend" ? "suspended" : "unsuspended"} ${command.user}.`
        : `${actor}: ${command.kind} of ${command.user} failed (${done.error}); nothing was changed.`;
    }
    const report = await this.deps.store.get(command.id);
    if (report === undefined)
      return `${actor}: there is no report ${command.id}; nothing was changed.`;
    switch (command.kind) {
      case "dismiss":
        return this.dismiss(report, actor);
      case "block-room":
        return this.blockRoom(report, actor);
      case "escalate":
        return this.escalate(report, command.reason, actor);
    }
  }

  private async dismiss(report: GuardReport, actor: string): Promise<string> {
    const changed = await this.deps.store.setState(
      report.shortId,
      ["open"],
      "dismissed",
      this.deps.now(),
    );
    if (changed) await this.didAct(report, "dismissed");
    return changed
      ? `${actor} dismissed report ${report.shortId}.`
      : `${actor}: report ${report.shortId} is ${report.state}, not open; nothing was changed.`;
  }

  private async blockRoom(report: GuardReport, actor: string): Promise<string> {
    const synapse = this.deps.synapse;
    if (synapse === undefined) return `${actor}: block-room ${NO_ADMIN}.`;
    const room = await this.roomOf(report);
    if (!room.ok) return `${actor}: report ${report.shortId}: ${room.error}; nothing was changed.`;
    const blocked = await synapse.blockRoom(room.value);
    if (blocked.ok) await this.didAct(report, "room_blocked");
    else this.deps.decisions?.record(reportActed("room_blocked", false));
    return blocked.ok
      ? `${actor} blocked the room of report ${report.shortId}: no local user can join it.`
      : `${actor}: blocking the room of report ${report.shortId} failed (${blocked.error}).`;
  }

  private async escalate(report: GuardReport, reason: string, actor: string): Promise<string> {
    const id = report.shortId;
    if (report.state !== "open" && report.state !== "dismissed")
      return `${actor}: report ${id} is already ${report.state}; nothing was sent.`;
    if (report.listed === "listed")
      return `${actor}: the room of report ${id} is already listed; nothing was sent.`;
    const room = await this.roomOf(report);
    if (!room.ok) return `${actor}: report ${id}: ${room.error}; nothing was sent.`;
    const why = reason === "" ? report.reason : reason;
    const filed = await this.deps.uplink.file(
      room.value,
      why === "" ? `reported on the homeserver (${id})` : why,
    );
    if (!filed.ok)
      return `${actor}: the provider did not take report ${id} (${filed.error}); try again.`;
    await this.deps.store.setState(id, ["open", "dismissed"], "escalated", this.deps.now(), {
      escalationRef: filed.value,
    });
    await this.didAct(report, "escalated");
    return `${actor} escalated report ${id} to the provider; this room hears the outcome.`;
  }

  /** Counts a moderator's action and notes the report's first action time. */
  private async didAct(report: GuardReport, action: ReportAction): Promise<void> {
    this.deps.decisions?.record(reportActed(action));
    await this.deps.store.acted(report.shortId, this.deps.now());
  }

  /** The reported room: kept, or (an event report) asked from Synapse. */
  private async roomOf(report: GuardReport): Promise<Result<string, string>> {
    if (report.roomId !== null) return { ok: true, value: report.roomId };
    if (report.kind === "user") return { ok: false, error: "a user report names no room" };
    if (report.kind === "room" || report.synapseId === null)
      return { ok: false, error: "the room of a listed room report is not kept" };
    if (this.deps.synapse === undefined) return { ok: false, error: NO_ADMIN };
    return this.deps.synapse.eventReportRoom(report.synapseId);
  }

  /** Asks the provider about every escalated report; posts each decision once. */
  async followEscalations(): Promise<void> {
    const { store, uplink, alerts, logger, now } = this.deps;
    for (const report of await store.escalated()) {
      if (report.escalationRef === null) continue;
      const status = await uplink.status(report.escalationRef);
      if (!status.ok) {
        logger.warn({ report: report.shortId, reason: status.error }, "escalation status unknown");
        continue;
      }
      const { state } = status.value;
      if (state === "pending") continue;
      // Accepted: the room is listed now, and a listed room id is not kept.
      const changed = await store.setState(report.shortId, ["escalated"], state, now(), {
        forgetRoom: state === "accepted",
      });
      if (changed) this.deps.decisions?.record(reportActed(state));
      if (changed)
        alerts.post(
          "report_outcome",
          outcomeAlert(report, state === "accepted", status.value.tags ?? []),
        );
    }
  }
}
