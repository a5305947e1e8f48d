/**
 * Reports as the decisions log counts them (action `report`): each report received, by kind
 * (the DSA templates' "notices received by type"), and each action taken on one — by
 * moderators in the alert room, or by the provider on an escalated room. The reason says
 * which; nothing names the report, the reporter or the room.
 */
import type { DecisionRecord } from "../decisions/decision-record.js";
import type { ReportKind } from "./report-store.js";

/** An action taken on a report (or on the account or room a report names). */
export type ReportAction =
  | "dismissed"
  | "escalated"
  | "accepted"
  | "rejected"
  | "suspended"
  | "unsuspended"
  | "room_blocked";

/** The reason of a received report's record: `received_event`, `received_user`, `received_room`. */
export const RECEIVED_PREFIX = "received_";

/** The record of one report received. */
export function reportReceived(kind: ReportKind): DecisionRecord {
  return {
    action: "report",
    outcome: "done",
    reason: `${RECEIVED_PREFIX}${kind}`,
    automated: false,
  };
}

/** The record of one action on a report; `ok` false when Synapse or the provider failed it. */
export function reportActed(action: ReportAction, ok = true): DecisionRecord {
  return { action: "report", outcome: ok ? "done" : "failed", reason: action, automated: false };
}
