/**
 * The alert-room text of a change in the followed policy rooms, in aggregate: "policy
 * rooms: 12 room takedowns added, 1 removed; 3 rules skipped: glob". Numbers, kinds and
 * reasons only — never a room, user or server the rules name. Pure.
 */
import type { PolicyChange } from "../../../policy/followed-room.js";
import type { AlertText } from "./alert-text.js";

const PLURAL = { ban: "bans", takedown: "takedowns", other: "other rules" } as const;

/** The text, or undefined when nothing a moderator acts on changed. */
export function policyChangeText(change: PolicyChange): AlertText | undefined {
  const parts: string[] = [];
  for (const [kind, byRec] of Object.entries(change.rules)) {
    for (const [rec, n] of Object.entries(byRec) as [keyof typeof PLURAL, number][]) {
      if (n > 0) parts.push(`${n} ${kind} ${PLURAL[rec]} added`);
      if (n < 0) parts.push(`${-n} ${kind} ${PLURAL[rec]} removed`);
    }
  }
  const skipped = Object.entries(change.skipped).filter(([, n]) => n > 0);
  const skippedText =
    skipped.length === 0
      ? ""
      : `; ${skipped.reduce((a, [, n]) => a + n, 0)} rules skipped: ${skipped.map(([r, n]) => `${n} ${r}`).join(", ")}`;
  if (parts.length === 0 && skippedText === "") return undefined;
  const plain = `policy rooms: ${parts.length === 0 ? "no rule in force changed" : parts.join(", ")}${skippedText}`;
  return { plain, html: plain };
}
