/**
 * A stand-in homeserver for policy room followers: the client-server calls a follower
 * makes — alias resolution, joined rooms, join, a room's whole state, and `/sync` with a
 * real long-poll — over one event stream, with Synapse's wire formats: `next_batch`
 * tokens shaped like Synapse's (`s<position>_…`), its error bodies (`M_UNKNOWN_TOKEN` with
 * `soft_logout`, `M_FORBIDDEN` for a room we are not in, `M_NOT_FOUND` for an alias), a
 * `limited` timeline past the filter's limit, `leave` for a kicked account, and redacted
 * state keeping no content keys. It can be stopped and started again on the same port
 * (a homeserver restart), and its token revoked. Synthetic ids only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface StreamEvent {
  readonly pos: number;
  readonly room: string;
  readonly event: Record<string, unknown>;
}

/** A homeserver holding policy rooms, for one follower account. */
export class PolicyRoomStandIn {
  /** Current state per room: key `type\u0000state_key` → event. */
  readonly state = new Map<string, Map<string, Record<string, unknown>>>();
  readonly aliases = new Map<string, string>();
  /** Rooms the follower is joined to, invited to. */
  readonly joined = new Set<string>();
  readonly invited = new Set<string>();
  token: string;
  /** Requests seen, by path kind (`sync`, `state`, `join`, …). */
  readonly requests = new Map<string, number>();
  private readonly stream: StreamEvent[] = [];
  private readonly left: { pos: number; room: string }[] = [];
  private pos = 1;
  private eventCounter = 0;
  private waiters = new Set<() => void>();
  private server: Server | undefined;
  private port = 0;

  constructor(token = "syt_synthetic_follower_token") {
    this.token = token;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Creates an empty room (the follower neither joined nor invited). */
  createRoom(roomId: string, alias?: string): void {
    this.state.set(roomId, new Map());
    if (alias !== undefined) this.aliases.set(alias, roomId);
  }

  /** Sends a state event (a rule, or empty content to remove one); returns its event id. */
  sendState(room: string, type: string, stateKey: string, content: unknown): string {
    const eventId = `$synthetic-${++this.eventCounter}`;
    const event = {
      type,
      state_key: stateKey,
      content,
      event_id: eventId,
      room_id: room,
      sender: "@moderator:example.org",
      origin_server_ts: Date.now(),
    };
    this.state.get(room)?.set(`${type}\u0000${stateKey}`, event);
    this.push(room, event);
    return eventId;
  }

  /** Sets many state events at once without waking anyone (for big rooms). */
  bulkState(room: string, events: Iterable<Record<string, unknown>>): void {
    const map = this.state.get(room) as Map<string, Record<string, unknown>>;
    for (const e of events) map.set(`${String(e.type)}\u0000${String(e.state_key)}`, e);
  }

  /** Redacts a state event (room version 11: `redacts` in the content). */
  redact(room: string, eventId: string): void {
    for (const [key, event] of this.state.get(room) ?? []) {
      if (event.event_id !== eventId) continue;
      // A redacted policy event keeps no content keys (spec, "Redactions").
      this.state.get(room)?.set(key, { ...event, content: {}, unsigned: { redacted_because: {} } });
    }
    this.push(room, {
      type: "m.room.redaction",
      content: { redacts: eventId },
      event_id: `$synthetic-${++this.eventCounter}`,
      sender: "@moderator:example.org",
      origin_server_ts: Date.now(),
    });
  }

  /** Removes the follower from a room (a kick). */
  kick(room: string): void {
    this.joined.delete(room);
    this.left.push({ pos: this.pos++, room });
    this.wake();
  }

  /** Puts `count` filler events in the stream, so a sync sees a gap (`limited`). */
  flood(room: string, count: number): void {
    for (let i = 0; i < count; i++)
      this.sendState(room, "m.policy.rule.user", `filler-${i}`, {
        entity: `@filler-${i}:example.org`,
        recommendation: "m.ban",
      });
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections (long-polls fail, as on a restart). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private count(kind: string): void {
    this.requests.set(kind, (this.requests.get(kind) ?? 0) + 1);
  }

  private push(room: string, event: Record<string, unknown>): void {
    this.stream.push({ pos: this.pos++, room, event });
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    req.resume();
    const url = new URL(req.url ?? "/", "http://stand-in");
    const path = url.pathname.replace(/^\/_matrix\/client\/v3/, "");
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.count("unauthorized");
      send(401, {
        errcode: "M_UNKNOWN_TOKEN",
        error: "Invalid access token passed.",
        soft_logout: false,
      });
      return;
    }
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/directory\/room\/([^/]+)$/))) {
      this.count("alias");
      const room = this.aliases.get(decodeURIComponent(m[1] as string));
      if (room === undefined) send(404, { errcode: "M_NOT_FOUND", error: "Room alias not found" });
      else send(200, { room_id: room, servers: ["example.org"] });
    } else if (path === "/joined_rooms") {
      this.count("joined_rooms");
      send(200, { joined_rooms: [...this.joined] });
    } else if ((m = path.match(/^\/join\/([^/]+)$/)) && req.method === "POST") {
      this.count("join");
      const room = decodeURIComponent(m[1] as string);
      if (!this.invited.has(room) && !this.joined.has(room)) {
        send(403, { errcode: "M_FORBIDDEN", error: "You are not invited to this room." });
        return;
      }
      this.invited.delete(room);
      this.joined.add(room);
      send(200, { room_id: room });
    } else if ((m = path.match(/^\/rooms\/([^/]+)\/state$/))) {
      this.count("state");
      const room = decodeURIComponent(m[1] as string);
      if (!this.joined.has(room) || !this.state.has(room)) {
        send(403, { errcode: "M_FORBIDDEN", error: "User not in room" });
        return;
      }
      send(200, [...(this.state.get(room)?.values() ?? [])]);
    } else if (path === "/sync") {
      this.count("sync");
      this.sync(url, send);
    } else send(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
  }

  private sync(url: URL, send: (status: number, body: unknown) => void): void {
    const filter = JSON.parse(url.searchParams.get("filter") ?? "{}") as {
      room?: { rooms?: string[]; timeline?: { limit?: number } };
    };
    const rooms = new Set(filter.room?.rooms ?? []);
    const limit = filter.room?.timeline?.limit ?? 10;
    const since = Number((url.searchParams.get("since") ?? "s0").slice(1).split("_")[0]);
    const timeoutMs = Number(url.searchParams.get("timeout") ?? "0");
    const answer = () => {
      const join: Record<string, unknown> = {};
      const leave: Record<string, unknown> = {};
      for (const room of rooms) {
        if (this.joined.has(room)) {
          const events = this.stream
            .filter((e) => e.pos > since && e.room === room)
            .map((e) => e.event);
          if (events.length > 0)
            join[room] = {
              state: { events: [] },
              timeline: { events: events.slice(-limit), limited: events.length > limit },
            };
        }
        if (this.left.some((l) => l.pos > since && l.room === room))
          leave[room] = { timeline: { events: [] } };
      }
      const next = `s${this.pos - 1}_0_0_0_0_0_0_0_0`;
      const empty = Object.keys(join).length === 0 && Object.keys(leave).length === 0;
      return { empty, body: { next_batch: next, rooms: { join, invite: {}, leave } } };
    };
    const first = answer();
    if (!first.empty || timeoutMs === 0 || since === 0) {
      send(200, first.body);
      return;
    }
    const timer = setTimeout(() => {
      this.waiters.delete(wake);
      send(200, answer().body);
    }, timeoutMs);
    const wake = () => {
      const now = answer();
      if (now.empty) {
        this.waiters.add(wake);
        return;
      }
      clearTimeout(timer);
      send(200, now.body);
    };
    this.waiters.add(wake);
  }
}
