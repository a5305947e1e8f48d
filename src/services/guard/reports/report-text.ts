/**
 * The words of report alerts, plain and HTML. Pure. A reporter's reason is untrusted text:
 * control characters removed, whitespace collapsed, cut to {@link MAX_SHOWN_REASON}
 * characters, and escaped in the HTML body (never interpreted as markup). A listed room is
 * never named, as in every alert; the event link names the room only when it is not listed.
 */
import { compose, type AlertText } from "../alerts/alert-text.js";
import type { GuardReport } from "./report-store.js";

/** Most characters of a reason shown in the alert room. */
export const MAX_SHOWN_REASON = 300;
/** Most characters of a reason kept in the guard's database. */
export const MAX_KEPT_REASON = 1000;

/** A reason made safe to show: no control characters, one line, bounded. */
export function cleanReason(reason: string, max = MAX_SHOWN_REASON): string {
  // Control characters (C0, C1) and bidi overrides could disguise the text around them.
  const flat = reason
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The listing the check found, as the alert names it. */
export interface ListingDetail {
  readonly reportId: string;
  readonly tags: readonly string[];
}

type Part = string | { code: string };

function what(report: GuardReport): Part[] {
  if (report.kind === "user") return ["the user ", { code: report.targetUser ?? "?" }];
  if (report.kind === "room") return report.roomId === null ? ["a listed room"] : ["a room"];
  const by = report.targetUser === null ? [] : [" by ", { code: report.targetUser }];
  return ["an event", ...by];
}

function where(report: GuardReport): Part[] {
  if (report.roomId === null)
    return report.eventId === null ? [] : [" (event ", { code: report.eventId }, ")"];
  const link =
    report.eventId === null
      ? `https://matrix.to/#/${encodeURIComponent(report.roomId)}`
      : `https://matrix.to/#/${encodeURIComponent(report.roomId)}/${encodeURIComponent(report.eventId)}`;
  return [" (", { code: link }, ")"];
}

function listing(report: GuardReport, detail: ListingDetail | undefined): Part[] {
  switch (report.listed) {
    case "listed": {
      const tags =
        detail === undefined || detail.tags.length === 0 ? "" : `; tags ${detail.tags.join(", ")}`;
      const id: Part[] =
        detail === undefined ? [] : [" (report ", { code: detail.reportId }, tags, ")"];
      return [" The room is LISTED", ...id, "; its id is not shown."];
    }
    case "not_listed":
      return [" The room is not listed."];
    case "unknown":
      return [" Whether the room is listed is unknown (the lookup service did not answer)."];
    case "no_room":
      return [];
  }
}

/** The alert for a new report. */
export function reportAlert(report: GuardReport, detail?: ListingDetail): AlertText {
  const reason = cleanReason(report.reason);
  const commands = [`!redlight dismiss ${report.shortId}`];
  if (report.kind !== "user" && report.listed !== "listed") {
    commands.push(`!redlight escalate ${report.shortId}`);
  }
  if (report.kind !== "user") commands.push(`!redlight block-room ${report.shortId}`);
  if (report.targetUser !== null) commands.push(`!redlight suspend ${report.targetUser}`);
  return compose(
    `Report ${report.shortId}`,
    { code: report.reporter },
    " reported ",
    ...what(report),
    ...where(report),
    ". Reason: ",
    reason === "" ? "(none given)" : `“${reason}”`,
    ".",
    ...listing(report, detail),
    " Commands: ",
    { code: commands.join(" · ") },
  );
}

/** The alert when the provider decided on an escalated report. */
export function outcomeAlert(report: GuardReport, accepted: boolean, tags: readonly string[]) {
  return accepted
    ? compose(
        `Report ${report.shortId} accepted by the provider`,
        "The room is now listed",
        tags.length === 0 ? "" : ` (tags ${tags.join(", ")})`,
        "; joins to it are refused from the next list reload.",
      )
    : compose(
        `Report ${report.shortId} rejected by the provider`,
        "The provider did not list the room.",
      );
}
