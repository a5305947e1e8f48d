/**
 * Filtering one `chunk` of a publicRooms answer before it leaves (listed rooms
 * never shown). Checks in order, cheapest first, each a plain question:
 *  1. an entry without a readable room id is dropped (it cannot be checked);
 *  2. curated mode: a room not on the allow-list is hidden (no lookup spent on it);
 *  3. a room whose name, topic or canonical alias matches a term list is hidden; the texts
 *     are matched off the event loop (text-pool.ts), at most `textBudget` characters a
 *     page, and rooms beyond the budget follow `directory.fail_mode` (`text_budget`);
 *  4. a listed room is hidden (the lookup's batch check, cached);
 *  5. a room the lookup service could not answer for follows `directory.fail_mode`.
 * The entries that stay are passed on untouched, in their order.
 */
import { hash } from "node:crypto";
import { parseRoomId, type RoomId } from "../../../core/ids.js";
import type { ListedRoom } from "../gates/verdict.js";
import type { CuratedRooms } from "./curated.js";
import type { RoomVerdicts } from "./listed-rooms.js";
import type { DirectoryTextMatcher, TextMatchFailure } from "./text-job.js";

/** Why a room was left out of a page (a metrics label). */
export type HiddenReason =
  "malformed" | "not_curated" | "room_terms" | "text_budget" | "listed" | "unchecked";

/** A room left out of a page. */
export interface HiddenRoom {
  readonly reason: HiddenReason;
  /** Absent only for `malformed`. */
  readonly room?: RoomId;
  readonly listed?: ListedRoom;
  /** The term list that matched (`room_terms`). */
  readonly listId?: string;
}

/** The filtered page. */
export interface FilteredChunk {
  readonly kept: unknown[];
  readonly hidden: readonly HiddenRoom[];
  /** Rooms shown although unchecked (fail mode `show`). */
  readonly shownUnchecked: number;
}

/** What the filter consults. */
export interface DirectoryFilterDeps {
  readonly verdicts: (rooms: readonly RoomId[]) => Promise<RoomVerdicts>;
  /** Undefined when no term lists are configured. */
  readonly texts: DirectoryTextMatcher | undefined;
  /** Most characters of names, topics and aliases matched for one page (cached rooms are free). */
  readonly textBudget: number;
  /** Set in curated mode. */
  readonly curated: CuratedRooms | undefined;
  readonly failMode: "hide" | "show";
}

/** Rooms whose text verdict is remembered (the term lists do not change while running). */
const MAX_TEXT_VERDICTS = 100_000;
const TEXT_FIELDS = ["name", "topic", "canonical_alias"] as const;
/** A room whose texts were not matched: the page's text budget was used up. */
const OVER_BUDGET = Symbol("over budget");

const field = (entry: unknown, key: string): unknown =>
  typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>)[key] : undefined;

/** Filters directory pages. */
export class DirectoryFilter {
  private readonly textVerdicts = new Map<RoomId, { key: string; listId: string | undefined }>();

  constructor(private readonly deps: DirectoryFilterDeps) {}

  /**
   * Filters one chunk; fails only when the matcher threads could not take the page's texts
   * (the caller answers 503: the directory waits, the callbacks never do).
   */
  async filter(chunk: readonly unknown[]): Promise<FilteredChunk | TextMatchFailure> {
    const hidden: HiddenRoom[] = [];
    const rooms: { entry: unknown; room: RoomId }[] = [];
    const { curated } = this.deps;
    for (const entry of chunk) {
      const room = parseRoomId(field(entry, "room_id"));
      if (!room.ok) hidden.push({ reason: "malformed" });
      else if (
        curated !== undefined &&
        !curated.allows(room.value, field(entry, "canonical_alias"))
      )
        hidden.push({ reason: "not_curated", room: room.value });
      else rooms.push({ entry, room: room.value });
    }
    const texts = await this.matchTexts(rooms);
    if (typeof texts === "string") return texts;
    const candidates: { entry: unknown; room: RoomId; textUnchecked: boolean }[] = [];
    for (const [i, { entry, room }] of rooms.entries()) {
      const verdict = texts[i];
      if (typeof verdict === "string") hidden.push({ reason: "room_terms", room, listId: verdict });
      else if (verdict === OVER_BUDGET && this.deps.failMode === "hide")
        hidden.push({ reason: "text_budget", room });
      else candidates.push({ entry, room, textUnchecked: verdict === OVER_BUDGET });
    }
    const { listed, unchecked } = await this.deps.verdicts(candidates.map((c) => c.room));
    const kept: unknown[] = [];
    let shownUnchecked = 0;
    for (const { entry, room, textUnchecked } of candidates) {
      const match = listed.get(room);
      if (match !== undefined) hidden.push({ reason: "listed", room, listed: match });
      else if (!unchecked.has(room) && !textUnchecked) kept.push(entry);
      else if (this.deps.failMode === "hide") hidden.push({ reason: "unchecked", room });
      else {
        shownUnchecked++;
        kept.push(entry);
      }
    }
    return { kept, hidden, shownUnchecked };
  }

  /**
   * The term list each room's name, topic or alias matches (a list id), none (undefined),
   * or {@link OVER_BUDGET}. The same rooms come back on every page anyone loads, and their
   * texts rarely change: the answer is remembered per room for as long as its texts stay
   * the same, and a remembered room costs none of the page's budget — so a page of rooms
   * seen before is fully checked even when its texts are long.
   */
  private async matchTexts(
    rooms: readonly { entry: unknown; room: RoomId }[],
  ): Promise<(string | undefined | typeof OVER_BUDGET)[] | TextMatchFailure> {
    const out: (string | undefined | typeof OVER_BUDGET)[] = [];
    if (this.deps.texts === undefined) return rooms.map(() => undefined);
    const asked: { index: number; room: RoomId; key: string }[] = [];
    const groups: string[][] = [];
    let budget = this.deps.textBudget;
    for (const [index, { entry, room }] of rooms.entries()) {
      const texts = TEXT_FIELDS.map((key) => {
        const text = field(entry, key);
        return typeof text === "string" ? text : "";
      });
      // Whole texts (the matcher's cost is linear, the page budget bounds it); the key that
      // remembers them is a digest, so long topics are not kept twice.
      const key = hash("sha256", texts.join("\u0000"), "base64");
      const known = this.textVerdicts.get(room);
      if (known !== undefined && known.key === key) {
        out.push(known.listId);
        continue;
      }
      const cost = texts.reduce((sum, text) => sum + text.length, 0);
      // Rooms beyond the budget are not matched at all: the work per page stays bounded.
      if (cost > budget) {
        out.push(OVER_BUDGET);
        continue;
      }
      budget -= cost;
      out.push(undefined);
      asked.push({ index, room, key });
      groups.push(texts);
    }
    const matched = await this.deps.texts.match(groups);
    if (!matched.ok) return matched.error;
    for (const [k, { index, room, key }] of asked.entries()) {
      const match = matched.value[k];
      const listId = match?.matched === true ? match.listId : undefined;
      out[index] = listId;
      this.remember(room, key, listId);
    }
    return out;
  }

  private remember(room: RoomId, key: string, listId: string | undefined): void {
    this.textVerdicts.delete(room);
    this.textVerdicts.set(room, { key, listId });
    if (this.textVerdicts.size > MAX_TEXT_VERDICTS) {
      const oldest = this.textVerdicts.keys().next();
      if (oldest.done !== true) this.textVerdicts.delete(oldest.value);
    }
  }
}
