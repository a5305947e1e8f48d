/**
 * Rooms hidden from the room directory, reported to the moderators in aggregate for
 * review (the Matrix.org safety team scans room names and topics the same way): counts,
 * term list ids and report ids — never a term, and room ids only with
 * `alerts.include_room_id`. The same rooms show up on every page anyone loads, so each
 * room is reported once per day, not once per request. Pure: the caller flushes on a timer.
 */
import type { RoomId } from "../../../core/ids.js";
import type { HiddenRoom } from "../directory/room-filter.js";
import { humanDuration, type AlertText } from "./alert-text.js";

const QUIET_MS = 24 * 3_600_000;
const TRACKED = 10_000;
const SHOWN = 5;
const SHOWN_ROOMS = 20;

/** Counts of rooms newly hidden since the last flush. */
export class DirectorySummary {
  private readonly reportedAt = new Map<RoomId, number>();
  private readonly byList = new Map<string, number>();
  private readonly byReport = new Map<string, number>();
  private readonly rooms: RoomId[] = [];

  constructor(private readonly now: () => number) {}

  /** Notes the rooms a page left out; only term and list matches are reported. */
  record(hidden: readonly HiddenRoom[]): void {
    for (const room of hidden) {
      if (room.room === undefined) continue;
      if (room.reason !== "room_terms" && room.reason !== "listed") continue;
      if (!this.firstToday(room.room)) continue;
      if (room.reason === "room_terms") bump(this.byList, room.listId ?? "?");
      else bump(this.byReport, room.listed?.reportId ?? "?");
      if (this.rooms.length < SHOWN_ROOMS) this.rooms.push(room.room);
    }
  }

  /** The report of the interval just ended (undefined when nothing new), and a reset. */
  flush(intervalMs: number, includeRoomId: boolean): AlertText | undefined {
    const byTerms = total(this.byList);
    const listed = total(this.byReport);
    if (byTerms + listed === 0) return undefined;
    const parts: string[] = [];
    if (byTerms > 0) parts.push(`${byTerms} by name or topic (${top(this.byList, "term list")})`);
    if (listed > 0) parts.push(`${listed} listed (${top(this.byReport, "report")})`);
    const rooms = includeRoomId ? ` Rooms: ${this.rooms.join(", ")}.` : "";
    const head = `${plural(byTerms + listed)} newly hidden in the last ${humanDuration(intervalMs)}`;
    const body = `${head}: ${parts.join("; ")}. They stay hidden; review them with the Synapse admin API.${rooms}`;
    this.byList.clear();
    this.byReport.clear();
    this.rooms.length = 0;
    return { plain: `Room directory: ${body}`, html: `<b>Room directory</b>: ${escapeHtml(body)}` };
  }

  private firstToday(room: RoomId): boolean {
    const now = this.now();
    const last = this.reportedAt.get(room);
    if (last !== undefined && now - last < QUIET_MS) return false;
    this.reportedAt.delete(room);
    this.reportedAt.set(room, now);
    if (this.reportedAt.size > TRACKED) {
      const oldest = this.reportedAt.keys().next();
      if (oldest.done !== true) this.reportedAt.delete(oldest.value);
    }
    return true;
  }
}

const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const plural = (n: number) => `${n} room${n === 1 ? "" : "s"}`;

/** "term list fruit 2, veg 1" — the most frequent first, at most five. */
function top(m: ReadonlyMap<string, number>, what: string): string {
  const sorted = [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = sorted.slice(0, SHOWN).map(([key, n]) => `${key} ${n}`);
  return `${what} ${shown.join(", ")}${sorted.length > SHOWN ? ", …" : ""}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
