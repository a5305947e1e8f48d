import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { enforceBodyDeadline, matrixErrorBody } from "./edge-errors.js";

const DEADLINE_MS = 400;
let app: FastifyInstance;
let port: number;

beforeEach(async () => {
  app = Fastify({ logger: false });
  enforceBodyDeadline(app, DEADLINE_MS, matrixErrorBody);
  app.put("/x", async (_request, reply) => reply.code(204).send());
  await app.listen({ port: 0, host: "127.0.0.1" });
  port = (app.server.address() as { port: number }).port;
});
afterEach(async () => {
  vi.restoreAllMocks();
  await app.close();
});

/** Sends `head`, then each piece `delayMs` apart; answers the status line (or "closed"). */
function send(head: string, pieces: string[], delayMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => (answer += d.toString("latin1")));
    socket.on("close", () => resolve(answer.split("\r\n")[0] || "closed"));
    socket.on("error", () => undefined);
    socket.write(head);
    let i = 0;
    const timer = setInterval(() => {
      if (i >= pieces.length || socket.destroyed) return clearInterval(timer);
      socket.write(pieces[i++] as string);
      if (i === pieces.length) setTimeout(() => socket.end(), 200);
    }, delayMs);
    if (pieces.length === 0) setTimeout(() => socket.end(), DEADLINE_MS * 3);
  });
}

const head = (length: number) =>
  `PUT /x HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;

describe("enforceBodyDeadline", () => {
  it("arms no timer for requests that arrive whole", async () => {
    const timers = vi.spyOn(globalThis, "setTimeout");
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/x`, { method: "PUT", body: '{"a":1}' });
      expect(r.status).toBe(204);
    }
    // Ours would be set to (nearly) the deadline; fetch's own timers use other delays.
    const deadlines = timers.mock.calls.filter(
      ([, ms]) => ms !== undefined && ms > DEADLINE_MS - 100 && ms <= DEADLINE_MS,
    );
    expect(deadlines).toEqual([]);
  });

  it("answers 408 to a body that stalls, and serves one that completes in time", async () => {
    const started = Date.now();
    const [stalled, trickled] = await Promise.all([
      send(`${head(10)}{"a":`, [], 0),
      send(head(7), ['{"a"', ":1}"], 100),
    ]);
    expect(stalled).toBe("HTTP/1.1 408 Request Timeout");
    expect(trickled).toBe("HTTP/1.1 204 No Content");
    // The 408 itself proves the deadline; the bound only catches a hang (busy machine slack).
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS * 25);
  });

  it("cuts off a body dribbling past the deadline", async () => {
    const dribble = Array.from({ length: 20 }, () => " ");
    expect(await send(head(30), dribble, 60)).toBe("HTTP/1.1 408 Request Timeout");
  });
});
