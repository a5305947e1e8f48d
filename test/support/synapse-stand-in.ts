/**
 * A stand-in Synapse for the guard's adversarial, fault and secrecy tests: one
 * FakeHomeserver answering, like Synapse would, the few things the guard asks of its
 * homeserver — the alert bot's sends and joins (recorded, idempotent per transaction id),
 * the admin API (joined rooms, room name and topic, suspensions) and the room directory
 * (client and federation publicRooms, GET and POST, pages, searches, remote servers),
 * with Synapse's own paging tokens: they name the room at the page boundary.
 * Each part can be switched to a fault: unreachable, hanging, garbage.
 * Synthetic ids and benign words only.
 */
import {
  FakeHomeserver,
  roomEntry,
  type CannedAnswer,
  type ReceivedRequest,
} from "../doubles/fake-homeserver.js";
import { readSynapseToken, synapseToken } from "./paging-tokens.js";

/** The homeserver's name. */
export const SERVER = "example.org";
/** A benign synthetic term the world's term list holds. */
export const TERM = "quokkaberry";
/** Remote error text that must never reach a user unchanged. */
export const REMOTE_TEXT = "REMOTE-TEXT-<script>alert(1)</script>";

/** Synthetic rooms of the directory. */
export const clean = (n: number) => `!orchard-${String(n).padStart(4, "0")}:${SERVER}`;
export const listed = (n: number) => `!synthetic-${String(n).padStart(4, "0")}:${SERVER}`;
export const termRoom = (n: number) => `!fruitstand-${String(n).padStart(4, "0")}:${SERVER}`;

/** How a part of the stand-in behaves. */
export type PartMode =
  | "ok"
  | "down"
  | "hang"
  | "garbage"
  | "truncated"
  | "no-chunk"
  | "html"
  /** Alerts only: the message is posted, but the answer is lost (the connection drops). */
  | "lost";

/** One alert the bot sent. */
export interface SentAlert {
  readonly txnId: string;
  readonly body: string;
  readonly html: string;
  /** When it arrived (Date.now()). */
  readonly at: number;
}

const DIRECTORY_RE = /^\/_matrix\/(client\/(api\/v1|r0|v3|unstable)|federation\/v1)\/publicRooms$/;
const json = (status: number, body: unknown, delayMs?: number): CannedAnswer => ({
  status,
  body,
  ...(delayMs === undefined ? {} : { delayMs }),
});
const PAGE = 10;

/** The stand-in. */
export class SynapseStandIn {
  /** Alerts by transaction id (a retry under the same id is not a second message). */
  readonly alerts = new Map<string, SentAlert>();
  /** Every send attempt, retries included. */
  alertAttempts = 0;
  modes: { alerts: PartMode; admin: PartMode; directory: PartMode } = {
    alerts: "ok",
    admin: "ok",
    directory: "ok",
  };
  /** Rooms each user is joined to (the admin API's answer). */
  readonly joined = new Map<string, Set<string>>();
  /** Name and topic of local rooms (the admin API's answer). */
  readonly texts = new Map<string, { name?: string; topic?: string }>();
  /** The directory, in order. */
  readonly rooms: unknown[];

  private constructor(
    readonly fake: FakeHomeserver,
    readonly tokens: { readonly bot: string; readonly admin: string },
    listedCount: number,
  ) {
    const entries: unknown[] = [];
    for (let i = 1; i <= 24; i++) {
      entries.push(roomEntry(clean(i), { name: `Orchard ${i}`, topic: "apples and pears" }));
      if (i <= listedCount) entries.push(roomEntry(listed(i), { name: `Quiet lounge ${i}` }));
      if (i <= 6) {
        const name = [`Fresh ${TERM} club`, `Q.U.O.K.K.A.B.E.R.R.Y`, `${TERM.toUpperCase()}!`][
          i % 3
        ];
        entries.push(roomEntry(termRoom(i), { name, topic: "fruit" }));
        this.texts.set(termRoom(i), { name: name ?? TERM });
      }
      this.texts.set(clean(i), { name: `Orchard ${i}` });
    }
    // Most members first, as Synapse orders its directory; the malformed ones last (their
    // ids, as idOf names them, descending).
    entries.forEach((entry, i) => Object.assign(entry as object, { num_joined_members: 500 - i }));
    entries.push({ room_id: "no-sigil" }, { room_id: 42 }, {}, "not a room", null);
    this.rooms = entries;
    fake.answer = (request) => this.answer(request);
  }

  /** Starts the stand-in (on `port`, to come back where it was after {@link stop}). */
  static async start(
    tokens: { bot: string; admin: string },
    listedCount: number,
    port = 0,
  ): Promise<SynapseStandIn> {
    return new SynapseStandIn(await FakeHomeserver.start(port), tokens, listedCount);
  }

  get url(): string {
    return this.fake.url;
  }

  /** Every request received. */
  get received(): readonly ReceivedRequest[] {
    return this.fake.received;
  }

  stop(): Promise<void> {
    return this.fake.stop();
  }

  private answer(request: ReceivedRequest): CannedAnswer {
    const url = new URL(request.url, "http://stand-in");
    const path = url.pathname;
    const auth = request.headers.authorization;
    if (path.startsWith("/_matrix/client/v3/rooms/") && path.includes("/send/m.room.message/")) {
      if (auth !== `Bearer ${this.tokens.bot}`) return json(401, { errcode: "M_UNKNOWN_TOKEN" });
      return this.alert(path, request.body);
    }
    if (path.startsWith("/_matrix/client/v3/join/")) {
      return this.faulted(this.modes.alerts) ?? json(200, { room_id: "!alerts:example.org" });
    }
    if (path.startsWith("/_synapse/admin/")) {
      if (auth !== `Bearer ${this.tokens.admin}`) return json(401, { errcode: "M_UNKNOWN_TOKEN" });
      return this.faulted(this.modes.admin) ?? this.admin(request.method, path);
    }
    if (DIRECTORY_RE.test(path)) {
      return this.faulted(this.modes.directory) ?? this.directory(request, url);
    }
    return json(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
  }

  private faulted(mode: PartMode): CannedAnswer | undefined {
    switch (mode) {
      case "ok":
      case "lost":
        return undefined;
      case "down":
        return { status: 0, fault: "reset" };
      case "hang":
        return json(200, {}, 3_600_000);
      case "garbage":
        return { status: 200, raw: "\u0000\u00ff not json {[" };
      case "truncated":
        return { status: 200, body: { chunk: this.rooms.slice(0, 30) }, fault: "truncated" };
      case "no-chunk":
        return json(200, { rooms: this.rooms.slice(0, 5) });
      case "html":
        return {
          status: 502,
          headers: { "content-type": "text/html" },
          raw: "<html>Bad gateway</html>",
        };
    }
  }

  private alert(path: string, body: Buffer): CannedAnswer {
    this.alertAttempts++;
    const fault = this.modes.alerts === "lost" ? undefined : this.faulted(this.modes.alerts);
    if (fault !== undefined) return fault;
    const txnId = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
    let content: { body?: unknown; formatted_body?: unknown } = {};
    try {
      content = JSON.parse(body.toString("utf8")) as typeof content;
    } catch {
      return json(400, { errcode: "M_NOT_JSON" });
    }
    if (!this.alerts.has(txnId)) {
      this.alerts.set(txnId, {
        txnId,
        body: String(content.body),
        html: String(content.formatted_body),
        at: Date.now(),
      });
    }
    if (this.modes.alerts === "lost") return { status: 0, fault: "reset" };
    return json(200, { event_id: `$${txnId}` });
  }

  private admin(method: string, path: string): CannedAnswer {
    const parts = path.split("/").map(decodeURIComponent);
    // /_synapse/admin/v1/users/{user}/joined_rooms
    if (method === "GET" && parts[4] === "users" && parts[6] === "joined_rooms") {
      return json(200, { joined_rooms: [...(this.joined.get(parts[5] ?? "") ?? [])] });
    }
    // /_synapse/admin/v1/rooms/{room}
    if (method === "GET" && parts[4] === "rooms" && parts.length === 6) {
      const texts = this.texts.get(parts[5] ?? "");
      return texts === undefined
        ? json(404, { errcode: "M_NOT_FOUND", error: "Room not found" })
        : json(200, { room_id: parts[5], ...texts });
    }
    if (method === "PUT" && parts[4] === "suspend") return json(200, {});
    return json(404, { errcode: "M_UNRECOGNIZED" });
  }

  /** publicRooms the way Synapse answers it (pages of 10, searches by name). */
  private directory(request: ReceivedRequest, url: URL): CannedAnswer {
    const { method } = request;
    if (method === "OPTIONS") return { status: 204 };
    if (method !== "GET" && method !== "POST" && method !== "HEAD")
      return json(405, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
    let limit: unknown = url.searchParams.get("limit") ?? undefined;
    let since: unknown = url.searchParams.get("since") ?? undefined;
    let term: unknown;
    if (method === "POST") {
      let body: unknown;
      try {
        body = JSON.parse(request.body.toString("utf8"));
      } catch {
        return json(400, { errcode: "M_NOT_JSON", error: "Content not JSON." });
      }
      if (typeof body !== "object" || body === null || Array.isArray(body))
        return json(400, { errcode: "M_BAD_JSON", error: "not an object" });
      const b = body as Record<string, unknown>;
      ({ limit, since } = b);
      const filter = b["filter"];
      term =
        typeof filter === "object" && filter !== null
          ? (filter as Record<string, unknown>)["generic_search_term"]
          : undefined;
    }
    // Only the client API searches other servers' directories.
    const server = url.pathname.includes("/client/") ? url.searchParams.get("server") : null;
    if (server === "fails.example" || server === "trusted.example")
      return json(502, { errcode: "M_UNKNOWN", error: REMOTE_TEXT, "org.example.extra": "<b>" });
    const n =
      limit === undefined || limit === null
        ? PAGE
        : typeof limit === "number" || typeof limit === "string"
          ? Number(limit)
          : Number.NaN;
    if (!Number.isInteger(n) || n < 0)
      return json(400, { errcode: "M_INVALID_PARAM", error: "limit must be an integer" });
    let rooms = this.rooms;
    if (typeof term === "string" && term !== "") {
      const lower = term.toLowerCase();
      rooms = rooms.filter((r) => JSON.stringify(r).toLowerCase().includes(lower));
    }
    const size = n === 0 ? PAGE : Math.min(n, 100);
    const page = this.page(rooms, since, size);
    if (page === undefined)
      return json(500, { errcode: "M_UNKNOWN", error: "Internal server error" });
    return json(200, { ...page, total_room_count_estimate: rooms.length });
  }

  /**
   * One page the way Synapse's `_get_public_room_list` cuts it: rooms in the order "most
   * members first, then room id descending", keyset paging from the (members, room id)
   * a token names, exclusive; `next_batch` names the last room of the page, `prev_batch`
   * the first. A token Synapse cannot decode is its unguarded 500.
   */
  private page(
    rooms: readonly unknown[],
    since: unknown,
    size: number,
  ): Record<string, unknown> | undefined {
    const boundary = (entry: unknown, forwards: boolean) =>
      synapseToken(this.membersOf(entry), this.idOf(entry), forwards);
    if (since === undefined || since === null || since === "") {
      const chunk = rooms.slice(0, size);
      return {
        chunk,
        ...(size < rooms.length ? { next_batch: boundary(chunk[chunk.length - 1], true) } : {}),
      };
    }
    const token = typeof since === "string" ? readSynapseToken(since) : undefined;
    if (token === undefined) return undefined;
    // Positive: the entry comes after the token's boundary in the directory's order.
    const side = (entry: unknown) => {
      const members = this.membersOf(entry);
      if (members !== token.members) return token.members - members;
      const id = Buffer.from(this.idOf(entry));
      return Buffer.compare(Buffer.from(token.roomId), id);
    };
    if (token.forwards) {
      const after = rooms.filter((entry) => side(entry) > 0);
      const chunk = after.slice(0, size);
      return {
        chunk,
        ...(size < after.length ? { next_batch: boundary(chunk[chunk.length - 1], true) } : {}),
        prev_batch: chunk.length > 0 ? boundary(chunk[0], false) : synapseToken(0, "", false),
      };
    }
    const before = rooms.filter((entry) => side(entry) < 0);
    const chunk = before.slice(Math.max(0, before.length - size));
    if (chunk.length === 0) return { chunk };
    return {
      chunk,
      next_batch: boundary(chunk[chunk.length - 1], true),
      ...(size < before.length ? { prev_batch: boundary(chunk[0], false) } : {}),
    };
  }

  private membersOf(entry: unknown): number {
    const members =
      typeof entry === "object" && entry !== null
        ? (entry as Record<string, unknown>)["num_joined_members"]
        : undefined;
    return typeof members === "number" ? members : 0;
  }
  /** A room's id, or a stable name for a malformed entry (never a real room id). */
  private idOf(entry: unknown): string {
    const id =
      typeof entry === "object" && entry !== null
        ? (entry as Record<string, unknown>)["room_id"]
        : undefined;
    return typeof id === "string" ? id : `junk-${900 - this.rooms.indexOf(entry)}`;
  }
}
