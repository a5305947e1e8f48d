/**
 * One counted decision of the guard, and how a gate's decision becomes records. A record
 * never names a room: only what was done (action), how it ended (outcome), why (reason),
 * the list's tags or a term list's MSC4456 harms (tag), and for invites the inviting
 * server. Features built later (knocks, sweeps, reports) add their action to
 * {@link DecisionAction} and call `record()` once per decision.
 */
import type { UserId } from "../../../core/ids.js";
import type { Decision, GatedCallback, GuardEvent } from "../gates/verdict.js";

/** What the guard did. */
export type DecisionAction =
  "join" | "invite" | "publish" | "search" | "freeze" | "unfreeze" | "knock" | "sweep" | "report";

/** How it ended: allowed, refused, redirected (a search), done or failed (an operation). */
export type DecisionOutcome = "allowed" | "refused" | "redirected" | "done" | "failed";

/** One decision to count. */
export interface DecisionRecord {
  readonly action: DecisionAction;
  readonly outcome: DecisionOutcome;
  /** The verdict's reason, or who asked for an operation. */
  readonly reason?: string;
  /** The listed room's tags or the term list's harms, sorted, comma-separated. */
  readonly tag?: string;
  /** The inviting server of a refused invite. */
  readonly server?: string;
  /** Decided by the guard on its own (true) or asked by a person (false). Default true. */
  readonly automated?: boolean;
}

/** Takes decisions to count; returns at once (writes happen later, off the caller's path). */
export interface DecisionRecorder {
  record(record: DecisionRecord): void;
}

const ACTION_OF: Readonly<Record<GatedCallback, DecisionAction>> = {
  user_may_join_room: "join",
  user_may_invite: "invite",
  federated_user_may_invite: "invite",
  user_may_publish_room: "publish",
};

/** Tags (or harms) as one key: sorted, comma-separated; empty for none. */
export function tagKey(tags: readonly string[] | undefined): string {
  return tags === undefined ? "" : [...new Set(tags)].sort().join(",");
}

/** The server part of a user id (`@a:b.example` → `b.example`). */
export function serverOf(user: UserId | string): string {
  const colon = user.indexOf(":");
  return colon < 0 ? "" : user.slice(colon + 1).toLowerCase();
}

/** The record of one gate decision. */
export function decisionRecord(callback: GatedCallback, decision: Decision): DecisionRecord {
  const { verdict, events } = decision;
  const action = ACTION_OF[callback];
  let tag = "";
  let server = "";
  for (const event of events) {
    if (event.kind === "join_refused" || event.kind === "found_inside")
      tag = tagKey(event.listed.tags);
    else if (event.kind === "publish_refused") tag = tagKey(event.listed?.tags);
    else if (event.kind === "invite_refused") server = serverOf(event.inviter);
  }
  return {
    action,
    outcome: verdict.allow ? "allowed" : "refused",
    reason: verdict.reason,
    tag,
    server,
  };
}

/** Account freezes and lookup outages, as the decisions log keeps them. */
export type LoggedEvent =
  | { readonly kind: "frozen"; readonly user: UserId; readonly via: string }
  | { readonly kind: "degraded" }
  | { readonly kind: "recovered" };

/** The events of a decision (or of the lookup monitor) the log keeps beside the counts. */
export function loggedEvents(events: readonly GuardEvent[]): LoggedEvent[] {
  const logged: LoggedEvent[] = [];
  for (const event of events) {
    if (event.kind === "account_frozen")
      logged.push({ kind: "frozen", user: event.user, via: event.via });
    else if (event.kind === "lookup_degraded") logged.push({ kind: "degraded" });
    else if (event.kind === "lookup_recovered") logged.push({ kind: "recovered" });
  }
  return logged;
}
