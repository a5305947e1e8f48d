/**
 * From what each service records to a transparency report: a guard's hourly decision
 * counts (migrations/guard/004_decisions.sql) and a provider's audit trail
 * (migrations/001_initial.sql, `audit_events`). Pure: the caller reads the rows.
 */
import {
  add,
  medianHours,
  monthOf,
  TEMPLATE,
  type Period,
  type TransparencyReport,
} from "./report.js";

/** One hourly count of a guard's decisions log. */
export interface GuardCount {
  readonly hour: number;
  readonly action: string;
  readonly outcome: string;
  readonly reason: string;
  readonly tag: string;
  readonly automated: boolean;
  readonly count: number;
}

/** A period in which the lookup service did not answer. */
export interface Outage {
  readonly startedAt: number;
  readonly endedAt: number | undefined;
}

/** An own-initiative action's name, for a guard count (undefined: not an action). */
function guardAction(row: GuardCount): string | undefined {
  if (row.outcome === "refused") return `${row.action}_refused`;
  if (row.action === "search" && row.outcome === "redirected") return "search_redirected";
  if (row.action === "freeze" && row.outcome === "done") return "account_frozen";
  // A sweep's action: sweep_reject_invite, sweep_alert, sweep_evict, sweep_block, …
  if (row.action === "sweep" && row.outcome === "done") return `sweep_${row.reason}`;
  return undefined;
}

/** Reports' `reason` in the decisions log: `received_<kind>` for a notice, else the action on one. */
const RECEIVED = "received_";

/**
 * The report of a guard's decisions in [start, end). `noticeDelays`: for each report
 * received in the period and acted on, the milliseconds from receipt to the first action.
 */
export function guardReport(
  period: Period,
  start: number,
  end: number,
  rows: readonly GuardCount[],
  outages: readonly Outage[],
  now: number,
  noticeDelays: readonly number[] = [],
): TransparencyReport {
  const byType: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  const byAction: Record<string, number> = {};
  const byMonth: Record<string, Record<string, number>> = {};
  const onNotices: Record<string, number> = {};
  const redlight: Record<string, number> = {
    joins_refused: 0,
    knocks_refused: 0,
    invites_refused: 0,
    publications_refused: 0,
    searches_redirected: 0,
    allowed_by_fail_open: 0,
    refused_by_fail_closed: 0,
  };
  let automated = 0;
  let manual = 0;
  let imposed = 0;
  let reversed = 0;
  let notices = 0;
  for (const row of rows) {
    if (row.hour < start || row.hour >= end) continue;
    if (row.action === "report") {
      if (row.reason.startsWith(RECEIVED)) {
        notices += row.count;
        add(byType, row.reason.slice(RECEIVED.length), row.count);
      } else if (row.outcome === "done") {
        add(onNotices, row.reason, row.count);
        // Suspensions by moderators are account restrictions, as freezes are.
        if (row.reason === "suspended") imposed += row.count;
        if (row.reason === "unsuspended") reversed += row.count;
      }
      continue;
    }
    if (row.action === "unfreeze" && row.outcome === "done") reversed += row.count;
    if (row.reason === "fail_open") add(redlight, "allowed_by_fail_open", row.count);
    if (row.reason === "fail_closed") add(redlight, "refused_by_fail_closed", row.count);
    const action = guardAction(row);
    if (action === undefined) continue;
    add(byAction, action, row.count);
    add((byMonth[monthOf(row.hour)] ??= {}), action, row.count);
    const tags = row.tag.split(",").filter((t) => t !== "");
    for (const tag of tags.length === 0 ? ["uncategorised"] : tags) add(byCategory, tag, row.count);
    if (row.automated) automated += row.count;
    else manual += row.count;
    if (action === "account_frozen") imposed += row.count;
    if (action === "join_refused") add(redlight, "joins_refused", row.count);
    if (action === "knock_refused") add(redlight, "knocks_refused", row.count);
    if (action === "invite_refused") add(redlight, "invites_refused", row.count);
    if (action === "publish_refused") add(redlight, "publications_refused", row.count);
    if (action === "search_redirected") add(redlight, "searches_redirected", row.count);
  }
  let periods = 0;
  let minutes = 0;
  for (const o of outages) {
    // Outages overlapping the period count, with their minutes inside it.
    if (o.startedAt >= end || (o.endedAt ?? now) <= start) continue;
    const from = Math.max(o.startedAt, start);
    const to = Math.min(o.endedAt ?? now, end);
    periods++;
    minutes += Math.max(0, to - from) / 60_000;
  }
  return {
    service: "guard",
    period,
    template: TEMPLATE,
    notices_received: { total: notices, by_type: byType },
    actions_on_notices: {
      total: Object.values(onNotices).reduce((a, b) => a + b, 0),
      by_action: onNotices,
    },
    own_initiative_actions: {
      total: automated + manual,
      by_category: byCategory,
      by_action: byAction,
      automated,
      not_automated: manual,
    },
    suspensions: { imposed, reversed },
    median_hours_notice_to_action: medianHours(noticeDelays),
    redlight: { ...redlight, fail_open_periods: periods, fail_open_minutes: Math.round(minutes) },
    by_month: byMonth,
    notes: [
      "Counts only: no room, user or list entry appears in this report.",
      "Categories are the provider's list tags (joins, knocks, publications) and the term lists' MSC4456 harms (searches, invites); sweeps are uncategorised; an action with two categories counts under both, so categories may sum to more than the total.",
      "Notices are the reports users filed (event, user and room reports); actions on notices are what moderators did with them (dismissed, escalated to the provider, the account suspended or unsuspended, the room blocked) and the provider's decisions on escalated rooms (accepted, rejected).",
      "Own-initiative actions include sweeps (sweep_*): pending invites to listed rooms rejected, members of listed rooms alerted or evicted, listed rooms blocked, purged or their media quarantined.",
      "Account restrictions are freezes (a user repeatedly trying to reach listed rooms) and suspensions by moderators; reversals are unfreezes and unsuspensions.",
      "The median time from a notice to action is taken over the reports received in the period that moderators acted on, from receipt to the first action (dismissed, escalated, the room blocked, the reported account suspended).",
    ],
  };
}

/** One count of a provider's audit trail: events of a kind in a month. */
export interface AuditCount {
  readonly kind: string;
  readonly month: string;
  readonly count: number;
}

const PROVIDER_ACTIONS: Readonly<Record<string, string>> = {
  hit: "lookup_answered_listed",
  freeze: "account_frozen",
};

/** The report of a provider's audit trail in the period. */
export function providerReport(period: Period, counts: readonly AuditCount[]): TransparencyReport {
  const byAction: Record<string, number> = {};
  const byMonth: Record<string, Record<string, number>> = {};
  const redlight: Record<string, number> = {
    batch_checks: 0,
    enumeration_suspected: 0,
    clients_added: 0,
    clients_revoked: 0,
  };
  let imposed = 0;
  let reversed = 0;
  for (const c of counts) {
    const action = PROVIDER_ACTIONS[c.kind];
    if (action !== undefined) {
      add(byAction, action, c.count);
      add((byMonth[c.month] ??= {}), action, c.count);
    }
    if (c.kind === "freeze") imposed += c.count;
    if (c.kind === "unfreeze") reversed += c.count;
    if (c.kind === "check") add(redlight, "batch_checks", c.count);
    if (c.kind === "enumeration_suspected") add(redlight, "enumeration_suspected", c.count);
    if (c.kind === "client_added") add(redlight, "clients_added", c.count);
    if (c.kind === "client_revoked") add(redlight, "clients_revoked", c.count);
  }
  const total = Object.values(byAction).reduce((a, b) => a + b, 0);
  return {
    service: "lookup",
    period,
    template: TEMPLATE,
    notices_received: { total: 0, by_type: {} },
    actions_on_notices: { total: 0, by_action: {} },
    own_initiative_actions: {
      total,
      by_category: {},
      by_action: byAction,
      automated: total,
      not_automated: 0,
    },
    suspensions: { imposed, reversed },
    median_hours_notice_to_action: null,
    redlight: { ...redlight, fail_open_periods: 0, fail_open_minutes: 0 },
    by_month: byMonth,
    notes: [
      "Counts only: no room, pseudonym or list entry appears in this report.",
      "Every action is automated: a client homeserver's lookup matched a listed room, and its guard refused the join.",
      "Categories are not known here: the audit trail keeps the report id of a hit, not its tags, so that it holds nothing about the list beyond what a client saw.",
      "Fail-open periods are a client's (its guard's report); notices are not received by this service yet.",
    ],
  };
}
