/**
 * Acting on what the gates decided, after the answer has gone to Synapse: alerts into the
 * alert room, suspension of a frozen local account, the invite summary. Nothing here can
 * delay or change a decision; failures are logged and counted.
 */
import type { RunInBackground } from "../../../observability/background.js";
import type { Logger } from "../../../observability/logger.js";
import { eventAlert, restoredAlert, type AlertStyle, type FailModeTally } from "./alert-text.js";
import type { AlertSink } from "./alert-sender.js";
import type { InviteSummary } from "./invite-summary.js";
import type { SynapseAdmin } from "../synapse/synapse-admin.js";
import type { GuardEvent } from "../gates/verdict.js";

/** What the reactions use. */
export interface ReactionsDeps {
  readonly alerts: AlertSink;
  readonly style: AlertStyle;
  readonly inviteSummary: InviteSummary;
  /** Set when `guard.freeze.suspend_account` is on and an admin token is configured. */
  readonly suspender: SynapseAdmin | undefined;
  readonly runInBackground: RunInBackground;
  readonly logger: Logger;
  readonly now: () => number;
  readonly onSuspension?: (result: "ok" | "failed") => void;
}

/** "User inside a listed room" and "Publication refused" are reported once per user and room per day. */
const FOUND_INSIDE_QUIET_MS = 24 * 3_600_000;
const FOUND_INSIDE_TRACKED = 10_000;

/** Turns decision events into alerts and account actions. */
export class Reactions {
  private readonly foundInsideAt = new Map<string, number>();
  /** Fail-mode decisions since the lookup service was last seen degraded. */
  private tally: FailModeTally = { allowed: 0, refused: 0 };

  constructor(private readonly deps: ReactionsDeps) {}

  /** Handles the events of one decision; returns at once. */
  handle(events: readonly GuardEvent[]): void {
    for (const event of events) this.react(event);
  }

  /** Posts the invite summary of the interval just ended, if any invite was refused. */
  flushInviteSummary(intervalMs: number): void {
    const text = this.deps.inviteSummary.flush(intervalMs);
    if (text !== undefined) this.deps.alerts.post("invites_refused", text);
  }

  private react(event: GuardEvent): void {
    const { logger, alerts, style } = this.deps;
    switch (event.kind) {
      case "invite_refused":
        this.deps.inviteSummary.record(event);
        logger.info(
          { inviter: event.inviter, reason: event.reason, detail: event.detail },
          "invite refused",
        );
        return;
      case "account_frozen":
        logger.warn({ user: event.user, via: event.via, local: event.local }, "account frozen");
        if (!event.local) return this.deps.inviteSummary.recordRemoteFreeze();
        if (this.deps.suspender !== undefined)
          return this.suspendThenAlert(this.deps.suspender, event);
        break;
      case "found_inside":
        if (!this.firstReportToday(`${event.user}\n${event.room}`)) return;
        logger.warn(
          { user: event.user, report: event.listed.reportId },
          "user found inside a listed room",
        );
        break;
      case "publish_refused":
        if (!this.firstReportToday(`publish\n${event.user}\n${event.room}`)) return;
        logger.info(
          { user: event.user, reason: event.reason, report: event.listed?.reportId },
          "publication refused",
        );
        break;
      case "join_refused":
        logger.info(
          { user: event.user, report: event.listed.reportId },
          "join refused: listed room",
        );
        break;
      case "fail_mode_applied":
        if (event.mode === "open") this.tally.allowed++;
        else this.tally.refused++;
        return;
      case "lookup_degraded":
        this.tally = { allowed: 0, refused: 0 };
        logger.error({ reason: event.reason }, "lookup service unreachable: fail modes apply");
        break;
      case "lookup_recovered":
        logger.info({ down_ms: event.downMs, ...this.tally }, "lookup service answers again");
        alerts.post(event.kind, restoredAlert(event.downMs, this.tally));
        return;
    }
    const text = eventAlert(event, style);
    if (text !== undefined) alerts.post(event.kind, text);
  }

  private suspendThenAlert(
    suspender: SynapseAdmin,
    event: Extract<GuardEvent, { kind: "account_frozen" }>,
  ): void {
    const { runInBackground, alerts, style, logger } = this.deps;
    runInBackground("suspend frozen account", async () => {
      const result = await suspender.setSuspended(event.user, true);
      this.deps.onSuspension?.(result.ok ? "ok" : "failed");
      if (!result.ok)
        logger.error(
          { user: event.user, reason: result.error },
          "suspending a frozen account failed",
        );
      const suspension = result.ok
        ? "The account is suspended in Synapse."
        : `Suspending the account failed (${result.error}).`;
      const text = eventAlert(event, style, suspension);
      if (text !== undefined) alerts.post(event.kind, text);
    });
  }

  private firstReportToday(key: string): boolean {
    const now = this.deps.now();
    const last = this.foundInsideAt.get(key);
    if (last !== undefined && now - last < FOUND_INSIDE_QUIET_MS) return false;
    this.foundInsideAt.delete(key);
    this.foundInsideAt.set(key, now);
    if (this.foundInsideAt.size > FOUND_INSIDE_TRACKED) {
      const oldest = this.foundInsideAt.keys().next();
      if (oldest.done !== true) this.foundInsideAt.delete(oldest.value);
    }
    return true;
  }
}
