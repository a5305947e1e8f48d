/**
 * Curated mode (`guard.directory.mode: curated`): only rooms on the operator's allow-list
 * are shown — the Matrix.org Foundation moved its own directory to curation. Entries are
 * room ids, aliases (resolved through the client API) and spaces, whose children are
 * shown too (read from the space's state through the Synapse admin API).
 *
 * Aliases and spaces are resolved in the background every `curated_refresh`; until the
 * first resolution, room ids and canonical aliases written in the config already work.
 * A refresh that fails part-way keeps what the last one found: an outage of the admin
 * API must not empty the directory.
 */
import { parseRoomId, type RoomId } from "../../../core/ids.js";
import { err, ok, type Result } from "../../../core/result.js";
import { describeFailure, jsonField, segment, type MatrixCall } from "../synapse/matrix-http.js";

/** Nested spaces are followed this deep. */
const MAX_DEPTH = 3;
/** At most this many rooms come from spaces. */
const MAX_ROOMS = 10_000;

/** Resolves aliases and space children. */
export interface CuratedResolver {
  /** The room an alias names, undefined when there is no such alias. */
  roomOfAlias(alias: string): Promise<Result<RoomId | undefined, string>>;
  /** The children of a space; empty for a room that is not a space. */
  childrenOf(room: RoomId): Promise<Result<readonly RoomId[], string>>;
}

/** The curated allow-list. */
export class CuratedRooms {
  private readonly ids = new Set<RoomId>();
  private readonly aliases = new Set<string>();
  private resolved: ReadonlySet<RoomId> = new Set();

  constructor(
    entries: readonly string[],
    private readonly resolver: CuratedResolver,
    private readonly onProblem: (problem: string) => void,
  ) {
    for (const entry of entries) {
      if (entry.startsWith("#")) this.aliases.add(entry);
      else {
        const room = parseRoomId(entry);
        if (room.ok) this.ids.add(room.value);
        else onProblem(`curated_rooms: ${entry}: ${room.error}`);
      }
    }
  }

  /** Rooms the list currently shows by id (aliases and canonical aliases aside). */
  get size(): number {
    return new Set([...this.ids, ...this.resolved]).size;
  }

  /** Whether a directory entry may be shown. */
  allows(room: RoomId, canonicalAlias: unknown): boolean {
    if (this.ids.has(room) || this.resolved.has(room)) return true;
    return typeof canonicalAlias === "string" && this.aliases.has(canonicalAlias);
  }

  /** Resolves aliases and spaces again. */
  async refresh(): Promise<void> {
    const found = new Set<RoomId>();
    let complete = true;
    const problem = (what: string) => {
      complete = false;
      this.onProblem(what);
    };
    let level: RoomId[] = [...this.ids];
    for (const alias of this.aliases) {
      const room = await this.resolver.roomOfAlias(alias);
      if (!room.ok) problem(`curated alias ${alias}: ${room.error}`);
      else if (room.value === undefined) this.onProblem(`curated alias ${alias} does not exist`);
      else level.push(room.value);
    }
    for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
      const next: RoomId[] = [];
      for (const room of level) {
        if (found.has(room) || found.size >= MAX_ROOMS) continue;
        found.add(room);
        if (depth === MAX_DEPTH) continue;
        const children = await this.resolver.childrenOf(room);
        if (children.ok) next.push(...children.value);
        else problem(`curated room ${room}: ${children.error}`);
      }
      level = next;
    }
    this.resolved = complete ? found : new Set([...this.resolved, ...found]);
  }
}

/**
 * The resolver over the homeserver: aliases through the client API (no token needed),
 * space children through the admin API's room state (any space, member or not). Without
 * an admin token, spaces count as plain rooms.
 */
export class HomeserverCuratedResolver implements CuratedResolver {
  constructor(
    private readonly client: MatrixCall,
    private readonly admin: MatrixCall | undefined,
  ) {}

  async roomOfAlias(alias: string): Promise<Result<RoomId | undefined, string>> {
    const answer = await this.client("GET", `/_matrix/client/v3/directory/room/${segment(alias)}`);
    if (!answer.ok) return answer;
    if (answer.value.status === 404) return ok(undefined);
    if (answer.value.status !== 200) return err(describeFailure(answer.value));
    const room = parseRoomId(jsonField(answer.value.body, "room_id"));
    return room.ok ? ok(room.value) : err(`an answer without a room id`);
  }

  async childrenOf(room: RoomId): Promise<Result<readonly RoomId[], string>> {
    if (this.admin === undefined) return ok([]);
    const answer = await this.admin("GET", `/_synapse/admin/v1/rooms/${segment(room)}/state`);
    if (!answer.ok) return answer;
    if (answer.value.status === 404) return ok([]);
    if (answer.value.status !== 200) return err(describeFailure(answer.value));
    const state = jsonField(answer.value.body, "state");
    if (!Array.isArray(state)) return err("an answer without state");
    return ok(spaceChildren(state));
  }
}

/** The children of a space from its state events; none unless the room is a space. */
export function spaceChildren(state: readonly unknown[]): RoomId[] {
  const isSpace = state.some(
    (e) =>
      jsonField(e, "type") === "m.room.create" &&
      jsonField(jsonField(e, "content"), "type") === "m.space",
  );
  if (!isSpace) return [];
  const children: RoomId[] = [];
  for (const event of state) {
    if (jsonField(event, "type") !== "m.space.child") continue;
    // A child event without `via` is a removed child (Matrix spec, "Spaces").
    const via = jsonField(jsonField(event, "content"), "via");
    if (!Array.isArray(via) || via.length === 0) continue;
    const child = parseRoomId(jsonField(event, "state_key"));
    if (child.ok) children.push(child.value);
  }
  return children;
}
