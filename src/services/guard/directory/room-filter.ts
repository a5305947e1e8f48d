/**
 * Filtering one `chunk` of a publicRooms answer before it leaves (issue 4, "Listed rooms
 * never shown"). Checks in order, cheapest first, each a plain question:
 *  1. an entry without a readable room id is dropped (it cannot be checked);
 *  2. curated mode: a room not on the allow-list is hidden (no lookup spent on it);
 *  3. a room whose name, topic or canonical alias matches a term list is hidden;
 *  4. a listed room is hidden (the lookup's batch check, cached);
 *  5. a room the lookup service could not answer for follows `directory.fail_mode`.
 * The entries that stay are passed on untouched, in their order.
 */
import { hash } from "node:crypto";
import { parseRoomId, type RoomId } from "../../../core/ids.js";
import type { TermMatcher } from "../../../core/text/index.js";
import type { ListedRoom } from "../verdict.js";
import type { CuratedRooms } from "./curated.js";
import type { RoomVerdicts } from "./listed-rooms.js";

/** Why a room was left out of a page (a metrics label). */
export type HiddenReason = "malformed" | "not_curated" | "room_terms" | "listed" | "unchecked";

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
  readonly terms: TermMatcher | undefined;
  /** Set in curated mode. */
  readonly curated: CuratedRooms | undefined;
  readonly failMode: "hide" | "show";
}

/** Rooms whose text verdict is remembered (the term lists do not change while running). */
const MAX_TEXT_VERDICTS = 100_000;
const TEXT_FIELDS = ["name", "topic", "canonical_alias"] as const;

const field = (entry: unknown, key: string): unknown =>
  typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>)[key] : undefined;

/** Filters directory pages. */
export class DirectoryFilter {
  private readonly textVerdicts = new Map<RoomId, { key: string; listId: string | undefined }>();

  constructor(private readonly deps: DirectoryFilterDeps) {}

  async filter(chunk: readonly unknown[]): Promise<FilteredChunk> {
    const hidden: HiddenRoom[] = [];
    const candidates: { entry: unknown; room: RoomId }[] = [];
    for (const entry of chunk) {
      const room = parseRoomId(field(entry, "room_id"));
      if (!room.ok) {
        hidden.push({ reason: "malformed" });
        continue;
      }
      const verdict = this.beforeLookup(entry, room.value);
      if (verdict === undefined) candidates.push({ entry, room: room.value });
      else hidden.push(verdict);
    }
    const { listed, unchecked } = await this.deps.verdicts(candidates.map((c) => c.room));
    const kept: unknown[] = [];
    let shownUnchecked = 0;
    for (const { entry, room } of candidates) {
      const match = listed.get(room);
      if (match !== undefined) hidden.push({ reason: "listed", room, listed: match });
      else if (!unchecked.has(room)) kept.push(entry);
      else if (this.deps.failMode === "hide") hidden.push({ reason: "unchecked", room });
      else {
        shownUnchecked++;
        kept.push(entry);
      }
    }
    return { kept, hidden, shownUnchecked };
  }

  /** The checks that need no lookup: curation, then the room's texts. */
  private beforeLookup(entry: unknown, room: RoomId): HiddenRoom | undefined {
    const { curated } = this.deps;
    if (curated !== undefined && !curated.allows(room, field(entry, "canonical_alias")))
      return { reason: "not_curated", room };
    const listId = this.matchTexts(entry, room);
    return listId === undefined ? undefined : { reason: "room_terms", room, listId };
  }

  /**
   * The term list a room's name, topic or alias matches. The same rooms come back on
   * every page anyone loads, and their texts rarely change: the answer is remembered per
   * room for as long as its texts stay the same.
   */
  private matchTexts(entry: unknown, room: RoomId): string | undefined {
    const { terms } = this.deps;
    if (terms === undefined) return undefined;
    // Whole texts: a term after the first few thousand characters counts too (the matcher's
    // cost is linear). The remembered key is a digest, so long topics are not kept twice.
    const texts = TEXT_FIELDS.map((key) => {
      const text = field(entry, key);
      return typeof text === "string" ? text : "";
    });
    const key = hash("sha256", texts.join("\u0000"), "base64");
    const known = this.textVerdicts.get(room);
    if (known !== undefined && known.key === key) return known.listId;
    let listId: string | undefined;
    for (const text of texts) {
      if (text === "") continue;
      const match = terms.match(text);
      if (match.matched) {
        listId = match.listId;
        break;
      }
    }
    this.textVerdicts.delete(room);
    this.textVerdicts.set(room, { key, listId });
    if (this.textVerdicts.size > MAX_TEXT_VERDICTS) {
      const oldest = this.textVerdicts.keys().next();
      if (oldest.done !== true) this.textVerdicts.delete(oldest.value);
    }
    return listId;
  }
}
