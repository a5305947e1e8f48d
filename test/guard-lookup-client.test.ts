/**
 * The guard's lookup client against the real lookup service (in-process, SQLite): quotas,
 * deadlines, wrong tokens and hostile transports become the right values. What every
 * lookup client must do, fake or real, is in test/contracts/lookup-client.contract.ts.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyedUserPseudonym } from "../src/core/hash.js";
import type { RoomId } from "../src/core/ids.js";
import { StandardLookupClient } from "../src/services/guard/lookup/lookup-client.js";
import { cleanRoom, startLookupFixture, type LookupFixture } from "./support/lookup-fixture.js";

const pseudo = (user: string) => keyedUserPseudonym("synthetic-secret-for-tests-0123456789", user);
const room = (id: string) => id as RoomId;

describe("StandardLookupClient against the lookup service", () => {
  let fixture: LookupFixture;
  let plain: StandardLookupClient;

  beforeAll(async () => {
    fixture = await startLookupFixture({
      clients: [{ name: "hs1" }, { name: "hs2", scopes: ["directory"] }],
    });
    plain = new StandardLookupClient({
      baseUrl: fixture.handle.apiUrl,
      token: fixture.tokens["hs1"]!,
      timeoutMs: 10_000,
    });
  });
  afterAll(async () => fixture?.stop());

  it("says rate limited with the delay the service asks for", async () => {
    const user = pseudo("@carol:example.org");
    let last;
    for (let i = 0; i < 35; i++) last = await plain.lookup(room(cleanRoom(10 + i)), user);
    expect(last).toMatchObject({ kind: "rate_limited" });
    expect(last?.kind === "rate_limited" && last.retryAfterMs > 0).toBe(true);
  });

  it("gives up at its own deadline and on a refused connection", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket)); // never answers
    await new Promise<void>((done) => silent.listen(0, "127.0.0.1", done));
    const port = (silent.address() as { port: number }).port;
    const slow = new StandardLookupClient({
      baseUrl: `http://127.0.0.1:${port}`,
      token: "t".repeat(40),
      timeoutMs: 300,
    });
    const started = performance.now();
    expect(await slow.lookup(room(cleanRoom(1)), pseudo("@d:example.org"))).toEqual({
      kind: "unavailable",
      failure: { kind: "timeout" },
    });
    // Its own deadline, not the socket's or Synapse's 60 s (generous: the machine may be busy).
    expect(performance.now() - started).toBeLessThan(15_000);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((done) => silent.close(() => done()));
    const refused = await slow.lookup(room(cleanRoom(1)), pseudo("@d:example.org"));
    expect(refused).toMatchObject({ kind: "unavailable", failure: { kind: "unreachable" } });
  });

  it("treats a wrong token as unavailable (a misconfiguration the alert room must hear of)", async () => {
    const wrong = new StandardLookupClient({
      baseUrl: fixture.handle.apiUrl,
      token: "x".repeat(40),
      timeoutMs: 1500,
    });
    expect(await wrong.lookup(room(cleanRoom(1)), pseudo("@e:example.org"))).toEqual({
      kind: "unavailable",
      failure: { kind: "refused", status: 401, errcode: "M_UNKNOWN_TOKEN" },
    });
  });
});

describe("StandardLookupClient's transport (node:http, kept-alive connections)", () => {
  type Handler = (req: IncomingMessage, res: ServerResponse, nth: number) => void;
  let handler: Handler;
  let connections = 0;
  let client: StandardLookupClient;
  const server = createHttpServer((req, res) => {
    const socket = req.socket as Socket & { served?: number };
    socket.served = (socket.served ?? 0) + 1;
    req.resume();
    req.on("end", () => handler(req, res, socket.served!));
  });
  server.on("connection", () => connections++);

  beforeAll(async () => {
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as { port: number }).port;
    client = new StandardLookupClient({
      baseUrl: `http://127.0.0.1:${port}/`,
      token: "t".repeat(40),
      timeoutMs: 1_000,
    });
  });
  afterAll(async () => {
    client?.close();
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });
  const noContent: Handler = (_req, res) => res.writeHead(204).end();

  it("keeps one connection alive for sequential requests", async () => {
    handler = noContent;
    connections = 0;
    for (let i = 0; i < 20; i++)
      expect(await client.lookup(room(cleanRoom(i)), pseudo("@k:example.org"))).toEqual({
        kind: "clean",
      });
    expect(connections).toBe(1);
  });

  it("sends again, once, when the server closed a kept-alive connection under the request", async () => {
    handler = noContent;
    await client.lookup(room(cleanRoom(1)), pseudo("@s:example.org")); // a connection to reuse
    const seen: number[] = [];
    handler = (req, res, nth) => {
      seen.push(nth);
      if (nth > 1) return void req.socket.destroy(); // closed just as we reused it
      res.writeHead(204).end();
    };
    expect(await client.lookup(room(cleanRoom(2)), pseudo("@s:example.org"))).toEqual({
      kind: "clean",
    });
    // Dropped on the kept-alive connection, answered as the first request of a new one.
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeGreaterThan(1);
    expect(seen[1]).toBe(1);
  });

  it("says rate limited, not unavailable, when the batch check is over quota", async () => {
    handler = (_req, res) =>
      res
        .writeHead(429, { "content-type": "application/json", "retry-after": "3" })
        .end(JSON.stringify({ error: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 2500 } }));
    expect(await client.check([room(cleanRoom(1))])).toEqual({
      kind: "rate_limited",
      retryAfterMs: 2500,
    });
  });

  it("treats an oversized or cut-off answer as unavailable, never a verdict", async () => {
    handler = (_req, res) => res.writeHead(200).end(Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(await client.check([room(cleanRoom(1))])).toEqual({
      kind: "unavailable",
      failure: { kind: "too_large" },
    });
    handler = (_req, res) => {
      res.writeHead(200, { "content-length": "100" }).write('{"listed":');
      setTimeout(() => res.socket?.destroy(), 10);
    };
    const cut = await client.check([room(cleanRoom(1))]);
    expect(cut.kind).toBe("unavailable");
    expect(["aborted", "unreachable"]).toContain(cut.kind === "unavailable" && cut.failure.kind);
  });
});
