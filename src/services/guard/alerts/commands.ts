/**
 * Commands moderators type into the alert room. Parsing is pure; only members with power
 * level ≥ 50 (moderator) may run them, checked by the listener against the room's current
 * `m.room.power_levels`.
 */
import { parseUserId, type UserId } from "../../../core/ids.js";

/** A command on a report (docs/reports.md), by its short id or the reported user. */
export type ReportCommand =
  | { readonly kind: "dismiss"; readonly id: string }
  | { readonly kind: "block-room"; readonly id: string }
  | { readonly kind: "escalate"; readonly id: string; readonly reason: string }
  | { readonly kind: "suspend"; readonly user: UserId }
  | { readonly kind: "unsuspend"; readonly user: UserId };

/** A parsed alert-room command. */
export type AlertCommand =
  | { readonly kind: "unfreeze"; readonly user: UserId }
  | ReportCommand
  | { readonly kind: "help" }
  | { readonly kind: "invalid"; readonly problem: string };

/** The command prefix. */
export const COMMAND_PREFIX = "!redlight";

/** The usage text. */
export const COMMAND_USAGE =
  "Usage: !redlight unfreeze @user:server — lifts a freeze (and its suspension, if any). Reports: !redlight dismiss ID · escalate ID [reason] · block-room ID · suspend @user:server · unsuspend @user:server.";

/** A report's short id: `e12` (event), `u3` (user), `r5` (room). */
const REPORT_ID = /^[eur][0-9]{1,15}$/;
/** Most characters of an escalation reason. */
export const MAX_ESCALATION_REASON = 500;

/** Parses a message body; undefined when it is not addressed to Redlight at all. */
export function parseCommand(body: string): AlertCommand | undefined {
  const words = body.trim().split(/\s+/);
  if (words[0]?.toLowerCase() !== COMMAND_PREFIX) return undefined;
  const [, verb, argument, ...extra] = words;
  if (verb === undefined || verb.toLowerCase() === "help") return { kind: "help" };
  const name = verb.toLowerCase();
  if (name === "dismiss" || name === "block-room" || name === "escalate") {
    if (argument === undefined || !REPORT_ID.test(argument.toLowerCase()))
      return { kind: "invalid", problem: `${name} takes a report id such as e12` };
    const id = argument.toLowerCase();
    if (name === "escalate") {
      const reason = extra.join(" ");
      if (reason.length > MAX_ESCALATION_REASON)
        return {
          kind: "invalid",
          problem: `the reason is longer than ${MAX_ESCALATION_REASON} characters`,
        };
      return { kind: "escalate", id, reason };
    }
    if (extra.length > 0) return { kind: "invalid", problem: `${name} takes one report id` };
    return { kind: name, id };
  }
  if (name !== "unfreeze" && name !== "suspend" && name !== "unsuspend")
    return { kind: "invalid", problem: `unknown command "${verb}"` };
  if (argument === undefined || extra.length > 0)
    return { kind: "invalid", problem: `${name} takes one user id` };
  const user = parseUserId(argument);
  if (!user.ok) return { kind: "invalid", problem: `${argument} is not a user id` };
  return { kind: name, user: user.value };
}

/**
 * A member's power level under `m.room.power_levels` content (client-server API, "Power
 * levels"): their entry in `users`, else `users_default`, else 0.
 */
export function powerLevelOf(powerLevels: unknown, user: string): number {
  if (typeof powerLevels !== "object" || powerLevels === null) return 0;
  const content = powerLevels as { users?: unknown; users_default?: unknown };
  const users =
    typeof content.users === "object" && content.users !== null
      ? (content.users as Record<string, unknown>)
      : {};
  const own = users[user];
  if (typeof own === "number") return own;
  return typeof content.users_default === "number" ? content.users_default : 0;
}
