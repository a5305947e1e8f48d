/**
 * Invite waves are floods: one alert per refused invite would drown the alert room. Refused
 * invites are counted here and reported in one message per interval, e.g. "37 invites from
 * 3 servers refused in the last minute". Pure: the caller flushes on its timer.
 */
import { serverOf } from "../../../core/ids.js";
import type { GuardEvent, RefuseReason } from "../gates/verdict.js";
import { humanDuration, type AlertText } from "./alert-text.js";

type InviteRefused = Extract<GuardEvent, { kind: "invite_refused" }>;

const REASON_WORDS: Partial<Record<RefuseReason, string>> = {
  listed: "listed room",
  room_terms: "room name or topic",
  server_policy: "server policy",
  policy_rule: "policy room rule",
  frozen: "frozen inviter",
  rate_limited: "rate limited",
  fail_closed: "lookup service unavailable",
};
const MAX_SERVERS = 1000; // distinct servers tracked per interval; the rest count as "other"
const SHOWN_SERVERS = 5;

/** Counts of refused invites since the last flush. */
export class InviteSummary {
  private total = 0;
  private remoteFreezes = 0;
  private readonly byServer = new Map<string, number>();
  private readonly byReason = new Map<string, number>();

  /** Counts one refused invite. */
  record(event: InviteRefused): void {
    this.total++;
    const server = serverOf(event.inviter);
    const key = this.byServer.has(server) || this.byServer.size < MAX_SERVERS ? server : "other";
    this.byServer.set(key, (this.byServer.get(key) ?? 0) + 1);
    const reason = REASON_WORDS[event.reason] ?? event.reason;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
  }

  /** Counts an inviter from another server frozen by the lookup service. */
  recordRemoteFreeze(): void {
    this.remoteFreezes++;
  }

  /** The summary of the interval just ended (undefined when nothing happened), and a reset. */
  flush(intervalMs: number): AlertText | undefined {
    if (this.total === 0 && this.remoteFreezes === 0) return undefined;
    const text = summaryText(
      this.total,
      this.byServer,
      this.byReason,
      this.remoteFreezes,
      intervalMs,
    );
    this.total = 0;
    this.remoteFreezes = 0;
    this.byServer.clear();
    this.byReason.clear();
    return text;
  }
}

const sortedDesc = (m: ReadonlyMap<string, number>) =>
  [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function summaryText(
  total: number,
  byServer: ReadonlyMap<string, number>,
  byReason: ReadonlyMap<string, number>,
  remoteFreezes: number,
  intervalMs: number,
): AlertText {
  const period =
    intervalMs === 60_000 ? "the last minute" : `the last ${humanDuration(intervalMs)}`;
  const reasons = sortedDesc(byReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(", ");
  const servers = sortedDesc(byServer).slice(0, SHOWN_SERVERS);
  const more = byServer.size > SHOWN_SERVERS ? ", …" : "";
  const head = `${plural(total, "invite")} from ${plural(byServer.size, "server")} refused in ${period}`;
  const frozen =
    remoteFreezes > 0 ? ` ${plural(remoteFreezes, "inviter")} from other servers frozen.` : "";
  const plain = `Invites refused: ${head}${reasons === "" ? "" : ` (${reasons})`}.${
    servers.length > 0
      ? ` Most from: ${servers.map(([s, n]) => `${s} (${n})`).join(", ")}${more}.`
      : ""
  }${frozen}`;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const html = `<b>Invites refused</b>: ${esc(head)}${reasons === "" ? "" : ` (${esc(reasons)})`}.${
    servers.length > 0
      ? ` Most from: ${servers.map(([s, n]) => `<code>${esc(s)}</code> (${n})`).join(", ")}${more}.`
      : ""
  }${esc(frozen)}`;
  return { plain, html };
}
