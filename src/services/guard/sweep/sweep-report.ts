/**
 * What one sweep found and did, in counts, and its words: the aggregate alert for the
 * alert room (new actions only, so each is alerted once; report ids, never room ids
 * unless `include_room_id`) and the lines `redlight guard sweep` prints.
 */
import type { RoomId } from "../../../core/ids.js";
import type { PlannedStep } from "./sweep-plan.js";
import type { SweepAction } from "./sweep-ports.js";

/** How a step ended: taken for the first time, taken again, or only planned (dry run). */
type StepResult = "done" | "repeated" | "planned";

const ACTION_WORDS: Record<SweepAction, string> = {
  reject_invite: "pending invites rejected",
  alert: "listed rooms with local members",
  evict: "local members made to leave",
  block: "rooms blocked",
  purge: "rooms purged",
  quarantine_media: "rooms' media quarantined",
};
const ORDER: readonly SweepAction[] = [
  "reject_invite",
  "alert",
  "evict",
  "quarantine_media",
  "block",
  "purge",
];
const MAX_NAMED = 20; // report ids (or room ids) named in one alert
const MAX_REASONS = 5;

/** Counts of one sweep. */
export class SweepReport {
  users = 0;
  usersGone = 0;
  rooms = 0;
  listedRooms = 0;
  termRooms = 0;
  roomsGone = 0;
  failures = 0;
  /** Steps by action and result. */
  readonly steps = new Map<string, number>();
  /** Invites rejected because of the term lists (in `reject_invite` too). */
  termInvites = 0;
  /** Local members of listed rooms found. */
  members = 0;
  readonly failureReasons = new Map<string, number>();
  /** Report ids (and rooms, for include_room_id) of new findings. */
  private readonly reportIds = new Set<string>();
  private readonly roomIds = new Set<RoomId>();

  constructor(readonly dryRun: boolean) {}

  /** Counts a step. */
  count(step: PlannedStep, result: StepResult): void {
    const key = `${step.action} ${result}`;
    this.steps.set(key, (this.steps.get(key) ?? 0) + 1);
    if (step.action === "alert") this.members += step.members;
    if (step.action === "reject_invite" && step.because === "terms") this.termInvites++;
    if (result === "repeated") return;
    if (step.listed !== undefined) this.reportIds.add(step.listed.reportId);
    this.roomIds.add(step.room);
  }

  /** How many steps of `action` ended with `result`. */
  counted(action: SweepAction, result: StepResult): number {
    return this.steps.get(`${action} ${result}`) ?? 0;
  }

  /** Counts a failure (retried next sweep); `reason` is a short text without secrets. */
  fail(what: string, reason: string): void {
    this.failures++;
    const key = `${what}: ${reason}`;
    if (this.failureReasons.size < 100 || this.failureReasons.has(key))
      this.failureReasons.set(key, (this.failureReasons.get(key) ?? 0) + 1);
  }

  /** Whether anything new was done (then the alert room hears it). */
  get newActions(): number {
    return ORDER.reduce((n, action) => n + this.counted(action, "done"), 0);
  }

  /** The alert room's message: new actions and failures; undefined when there is nothing new. */
  alert(includeRoomId: boolean): { plain: string; html: string } | undefined {
    if (this.dryRun || (this.newActions === 0 && this.failures === 0)) return undefined;
    const parts = ORDER.filter((a) => this.counted(a, "done") > 0).map(
      (a) => `${ACTION_WORDS[a]}: ${this.counted(a, "done")}`,
    );
    if (this.termInvites > 0) parts.push(`of them for room names or topics: ${this.termInvites}`);
    if (this.failures > 0) parts.push(`failures (retried next sweep): ${this.failures}`);
    const named = [...this.reportIds].slice(0, MAX_NAMED);
    const rooms = includeRoomId ? [...this.roomIds].slice(0, MAX_NAMED) : [];
    const plain = [
      `Sweep: ${parts.join("; ")}.`,
      ...(named.length > 0 ? [`Reports: ${named.join(", ")}.`] : []),
      ...(rooms.length > 0 ? [`Rooms: ${rooms.join(", ")}.`] : []),
    ].join(" ");
    const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const code = (items: readonly string[]) =>
      items.map((i) => `<code>${escape(i)}</code>`).join(", ");
    const html = [
      `<b>Sweep</b>: ${escape(parts.join("; "))}.`,
      ...(named.length > 0 ? [`Reports: ${code(named)}.`] : []),
      ...(rooms.length > 0 ? [`Rooms: ${code(rooms)}.`] : []),
    ].join(" ");
    return { plain, html };
  }

  /** The lines `redlight guard sweep` prints (counts only). */
  lines(): string[] {
    const result = this.dryRun ? "planned" : "done";
    const out = [
      `${this.dryRun ? "dry run: nothing was changed; " : ""}${this.users} local users, ${this.rooms} rooms with their invites or members, ${this.listedRooms} listed, ${this.termRooms} invited rooms matching the term lists`,
    ];
    for (const action of ORDER) {
      const n = this.counted(action, result) + this.counted(action, "repeated");
      if (n > 0) out.push(`${ACTION_WORDS[action]}: ${n}${this.dryRun ? " (would be)" : ""}`);
    }
    if (this.members > 0) out.push(`local members of listed rooms: ${this.members}`);
    if (this.usersGone + this.roomsGone > 0)
      out.push(`users or rooms gone during the sweep: ${this.usersGone + this.roomsGone}`);
    if (this.failures > 0) {
      out.push(`failures (retried next sweep): ${this.failures}`);
      const reasons = [...this.failureReasons].slice(0, MAX_REASONS);
      for (const [reason, n] of reasons) out.push(`  ${reason} (${n})`);
    }
    return out;
  }
}

/** A fresh report. */
export function emptyReport(dryRun: boolean): SweepReport {
  return new SweepReport(dryRun);
}
