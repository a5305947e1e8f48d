/**
 * The guard dashboard's reports (docs/reports.md): the latest reports with their state,
 * kind, short id, reporter and whether the reported room is listed — never a room id.
 * Reasons are untrusted text: escaped and cut. Dismiss and Escalate run the alert-room
 * commands themselves (`!redlight dismiss|escalate ID`, parsed by the same parser and run
 * by the same ReportCommands), with the logged-in user as the actor.
 */
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, postButton, table } from "../../../dashboard/html.js";
import { COMMAND_PREFIX, parseCommand, type ReportCommand } from "../alerts/commands.js";
import type { GuardReport, ReportStore } from "../reports/report-store.js";
import type { GuardPrincipal } from "./matrix-login.js";

/** What the page reads and runs. */
export interface ReportsPageDeps {
  readonly store: Pick<ReportStore, "recent">;
  /** Runs a report command for an actor; answers the reply posted in the alert room. */
  readonly command: (command: ReportCommand, actor: string) => Promise<string>;
}

/** Most reports shown, newest first. */
export const REPORTS_SHOWN = 200;
/** Most characters of a reason shown. */
export const REASON_SHOWN = 200;

const LISTING: Readonly<Record<GuardReport["listed"], string>> = {
  listed: "listed",
  not_listed: "not listed",
  unknown: "unknown (lookup failed)",
  no_room: "-",
};

/** The reports page. */
export function reportsPage(deps: ReportsPageDeps): DashboardPage<GuardPrincipal> {
  return {
    path: "/reports",
    title: "Reports",
    async render({ csrf }) {
      const reports = await deps.store.recent(REPORTS_SHOWN);
      const rows = reports.map((r) => [
        `<code>${esc(r.shortId)}</code>`,
        esc(r.kind),
        esc(r.state),
        esc(r.reporter),
        esc(r.targetUser ?? "-"),
        esc(isoTime(r.receivedAt)),
        esc(LISTING[r.listed]),
        `<span class="reason">${esc(cut(r.reason))}</span>`,
        buttons(r, csrf),
      ]);
      return `<p>The latest ${REPORTS_SHOWN} reports. Buttons run the alert-room commands (<code>!redlight dismiss|escalate ID</code>).</p>
${table(["id", "kind", "state", "reporter", "reported user", "received", "room", "reason", ""], rows)}`;
    },
    actions: {
      dismiss: (principal, form) => run(deps, principal, "dismiss", form),
      escalate: (principal, form) => run(deps, principal, "escalate", form),
    },
  };
}

async function run(
  deps: ReportsPageDeps,
  principal: GuardPrincipal,
  verb: "dismiss" | "escalate",
  form: URLSearchParams,
) {
  const id = (form.get("id") ?? "").trim();
  // Exactly the alert-room command, so the dashboard cannot do more than a moderator there.
  const command = /^\S+$/.test(id) ? parseCommand(`${COMMAND_PREFIX} ${verb} ${id}`) : undefined;
  if (command === undefined || (command.kind !== "dismiss" && command.kind !== "escalate"))
    return { ok: false, text: "not a report id; nothing was changed" };
  const reply = await deps.command(command, principal.userId);
  // ReportCommands answers a refusal or failure as `ACTOR: …`, a success as `ACTOR did …`.
  return { ok: !reply.startsWith(`${principal.userId}:`), text: reply };
}

function buttons(report: GuardReport, csrf: string): string {
  const id = { id: report.shortId };
  const dismiss =
    report.state === "open" ? postButton("/reports/dismiss", csrf, "Dismiss", id) : "";
  const escalate =
    (report.state === "open" || report.state === "dismissed") &&
    report.listed !== "listed" &&
    report.kind !== "user"
      ? postButton("/reports/escalate", csrf, "Escalate", id)
      : "";
  return [dismiss, escalate].filter(Boolean).join(" ");
}

function cut(text: string): string {
  return text.length > REASON_SHOWN ? `${text.slice(0, REASON_SHOWN)}…` : text;
}
