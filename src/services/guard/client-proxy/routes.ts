/**
 * The client-API proxy's own paths (the publicRooms paths are the directory's,
 * ../routes.ts). Every method reaches the handlers: only a POST knocks or reports, the
 * rest (CORS pre-flight OPTIONS, a wrong method) is forwarded for the homeserver to
 * answer, exactly as if the proxy were not there.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ProxyAnswer } from "../directory/directory-service.js";
import type { ClientRequest } from "./homeserver.js";
import type { KnockGate } from "./knock-gate.js";
import type { RoomReports } from "./room-reports.js";

/**
 * Prefixes Synapse serves `/knock/{roomIdOrAlias}` under (`client_patterns`: r0, v3 and
 * unstable), and MSC2403's unstable prefix, which clients written against the proposal
 * used: every one of them must reach the gate, or it is a way around it.
 */
export const KNOCK_PREFIXES = [
  "/_matrix/client/v3",
  "/_matrix/client/r0",
  "/_matrix/client/unstable",
  "/_matrix/client/unstable/xyz.amorgan.knock",
] as const;

/** Prefixes of `/rooms/{roomId}/report` (MSC4151; Synapse 1.163 serves v3 only). */
export const ROOM_REPORT_PREFIXES = ["/_matrix/client/v3", "/_matrix/client/r0"] as const;

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/** Registers the knock and room report paths on the proxy's app. */
export function registerClientProxyRoutes(
  app: FastifyInstance,
  knocks: KnockGate,
  reports: RoomReports,
): void {
  // Scoped, so the hook below sees only these paths.
  void app.register(async (scope) => {
    // The body is read as bytes whatever its Content-Type (as Synapse does); the header
    // is forwarded as received, from the raw headers (the directory's hook, when there is
    // one, has rewritten the parsed ones for every path already).
    scope.addHook("onRequest", async (request) => {
      request.headers["content-type"] = "application/octet-stream";
    });
    const clientRequest = (request: FastifyRequest, reply: FastifyReply): ClientRequest => {
      const gone = new AbortController();
      reply.raw.on("close", () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const headers = { ...request.headers };
      const type = receivedContentType(request.raw.rawHeaders);
      if (type === undefined) delete headers["content-type"];
      else headers["content-type"] = type;
      return {
        method: request.method,
        rawUrl: request.raw.url ?? request.url,
        headers,
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
        peer: request.socket.remoteAddress,
        signal: gone.signal,
      };
    };
    for (const prefix of KNOCK_PREFIXES) {
      scope.route<{ Params: { target: string } }>({
        method: [...METHODS],
        url: `${prefix}/knock/:target`,
        handler: async (request, reply) => {
          const base = clientRequest(request, reply);
          const answer = await knocks.handle({ ...base, prefix, target: request.params.target });
          return send(reply, answer);
        },
      });
    }
    for (const prefix of ROOM_REPORT_PREFIXES) {
      scope.route<{ Params: { roomId: string } }>({
        method: [...METHODS],
        url: `${prefix}/rooms/:roomId/report`,
        handler: async (request, reply) => {
          const base = clientRequest(request, reply);
          const answer = await reports.handle({ ...base, roomId: request.params.roomId });
          return send(reply, answer);
        },
      });
    }
  });
}

function send(reply: FastifyReply, answer: ProxyAnswer): FastifyReply {
  reply.code(answer.status);
  for (const [name, value] of answer.headers) reply.header(name, value);
  return reply.send(answer.body);
}

/** The Content-Type header as received (Node joins nothing for it: the first one counts). */
function receivedContentType(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]?.toLowerCase() === "content-type") return rawHeaders[i + 1];
  return undefined;
}
