/**
 * Commands moderators type into the alert room. Parsing is pure; only members with power
 * level ≥ 50 (moderator) may run them, checked by the listener against the room's current
 * `m.room.power_levels`.
 */
import { parseUserId, type UserId } from "../../../core/ids.js";

/** A parsed alert-room command. */
export type AlertCommand =
  | { readonly kind: "unfreeze"; readonly user: UserId }
  | { readonly kind: "help" }
  | { readonly kind: "invalid"; readonly problem: string };

/** The command prefix. */
export const COMMAND_PREFIX = "!redlight";

/** The usage text. */
export const COMMAND_USAGE =
  "Usage: !redlight unfreeze @user:server — lifts a freeze (and its suspension, if any).";

/** Parses a message body; undefined when it is not addressed to Redlight at all. */
export function parseCommand(body: string): AlertCommand | undefined {
  const words = body.trim().split(/\s+/);
  if (words[0]?.toLowerCase() !== COMMAND_PREFIX) return undefined;
  const [, verb, argument, ...extra] = words;
  if (verb === undefined || verb.toLowerCase() === "help") return { kind: "help" };
  if (verb.toLowerCase() !== "unfreeze")
    return { kind: "invalid", problem: `unknown command "${verb}"` };
  if (argument === undefined || extra.length > 0)
    return { kind: "invalid", problem: "unfreeze takes one user id" };
  const user = parseUserId(argument);
  if (!user.ok) return { kind: "invalid", problem: `${argument} is not a user id` };
  return { kind: "unfreeze", user: user.value };
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
