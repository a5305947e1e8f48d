/**
 * The stand-in homeserver of the `sweep` bench: Synapse's admin API as sweeps use it, with
 * Synapse's wire formats (the users list's string `next_token` offsets, `memberships` as a
 * room → membership map, `M_NOT_FOUND` errors), plus the LJS-4 batch check (a fixed share
 * of rooms listed). In-process, on loopback; synthetic ids only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ljs4Hash } from "../src/core/hash.js";

/** The population a sweep walks. */
export interface SweepWorld {
  readonly users: number;
  readonly rooms: number;
  /** Rooms each user is joined to. */
  readonly roomsPerUser: number;
  /** Every this-many users has a pending invite too. */
  readonly inviteEvery: number;
  /** Every this-many rooms is listed. */
  readonly listedEvery: number;
}

const userId = (i: number) => `@user${i}:bench.example`;
const roomId = (i: number) => `!synthetic-${String(i).padStart(5, "0")}:bench.example`;

/** A running stand-in: its URL and the counts of what a sweep did to it. */
export interface SweepStandIn {
  readonly url: string;
  readonly counts: { requests: number; leaves: number; logins: number; logouts: number };
  stop(): Promise<void>;
}

/** Starts the stand-in for `world`. */
export async function startSweepStandIn(world: SweepWorld): Promise<SweepStandIn> {
  const memberships = new Map<string, Record<string, string>>();
  for (let u = 0; u < world.users; u++) {
    const rooms: Record<string, string> = {};
    for (let k = 0; k < world.roomsPerUser; k++)
      rooms[roomId((u * 7 + k * 131) % world.rooms)] = "join";
    if (u % world.inviteEvery === 0) rooms[roomId((u * 13) % world.rooms)] = "invite";
    memberships.set(userId(u), rooms);
  }
  const listedHashes = new Map<string, string>();
  for (let r = 0; r < world.rooms; r += world.listedEvery)
    listedHashes.set(ljs4Hash(roomId(r)), `bench-report-${r}`);
  const counts = { requests: 0, leaves: 0, logins: 0, logouts: 0 };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    counts.requests++;
    const url = new URL(req.url ?? "/", "http://stand-in");
    const path = url.pathname;
    if (path === "/_matrix/client/v3/account/whoami")
      return send(res, 200, { user_id: "@admin:bench.example" });
    if (path === "/_synapse/admin/v2/users") {
      const from = Number(url.searchParams.get("from") ?? "0");
      const limit = Number(url.searchParams.get("limit") ?? "100");
      const end = Math.min(from + limit, world.users);
      const users = [];
      for (let u = from; u < end; u++) users.push({ name: userId(u), deactivated: false });
      return send(res, 200, {
        users,
        total: world.users,
        ...(end < world.users ? { next_token: String(end) } : {}),
      });
    }
    let m = /^\/_synapse\/admin\/v1\/users\/([^/]+)\/memberships$/.exec(path);
    if (m !== null) {
      const rooms = memberships.get(decodeURIComponent(m[1]!));
      return rooms === undefined
        ? send(res, 404, { errcode: "M_NOT_FOUND", error: "User not found" })
        : send(res, 200, { memberships: rooms });
    }
    m = /^\/_synapse\/admin\/v1\/users\/([^/]+)\/login$/.exec(path);
    if (m !== null) {
      counts.logins++;
      return send(res, 200, { access_token: `login-${decodeURIComponent(m[1]!)}` });
    }
    m = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/leave$/.exec(path);
    if (m !== null) {
      counts.leaves++;
      const user = (req.headers.authorization ?? "").replace(/^Bearer login-/, "");
      const rooms = memberships.get(user);
      if (rooms !== undefined) delete rooms[decodeURIComponent(m[1]!)];
      return send(res, 200, {});
    }
    if (path === "/_matrix/client/v3/logout") {
      counts.logouts++;
      return send(res, 200, {});
    }
    if (path === "/_matrix/loj/v1/check") {
      const hashes = (JSON.parse(body) as { room_id_hashes: string[] }).room_id_hashes;
      const listed: Record<string, unknown> = {};
      for (const h of hashes) {
        const report = listedHashes.get(h);
        if (report !== undefined) listed[h] = { report_id: report, tags: ["csam"] };
      }
      return send(res, 200, { error: null, listed });
    }
    if (path === "/_matrix/loj/v1/list_version")
      return send(res, 200, { error: null, version: "v1" });
    return send(res, 404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
