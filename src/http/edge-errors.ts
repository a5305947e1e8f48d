/**
 * Answers for requests that never reach a route: HTTP that Node's parser refuses (unknown
 * methods, bad framing), headers over Node's 16 KiB limit, requests not complete within the
 * request timeout, bodies that trickle in, CONNECT, and Expect values other than
 * 100-continue. Left alone, Node and Fastify answer these in formats of their own (or not
 * at all); a client of ours sees one error shape whatever it sent (hostile input).
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Duplex } from "node:stream";
import { apiError, type ApiError } from "../core/errors.js";

/** How a service shapes an error body (the lookup service: LJS-4; the guard: Matrix). */
export type ErrorBody = (error: ApiError) => unknown;

/** The plain Matrix error body `{errcode, error}`. */
export const matrixErrorBody: ErrorBody = (e) => ({ errcode: e.errcode, error: e.error });

function rawAnswer(e: ApiError, body: ErrorBody): string {
  const text = JSON.stringify(body(e));
  return (
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? "Error"}\r\n` +
    `content-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`
  );
}

/** The error for a connection Node's HTTP layer gave up on. */
function clientError(code: string | undefined): ApiError {
  if (code === "HPE_HEADER_OVERFLOW")
    return apiError(431, "M_TOO_LARGE", "the request headers are too large");
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return apiError(408, "M_UNKNOWN", "the request did not arrive in time");
  return apiError(400, "M_BAD_JSON", "the request could not be read");
}

function answerAndClose(socket: Duplex, e: ApiError, body: ErrorBody): void {
  if (socket.writable) socket.write(rawAnswer(e, body));
  socket.destroy();
}

/** A Fastify `clientErrorHandler` answering in the service's error shape. */
export function clientErrorHandler(body: ErrorBody) {
  return (error: Error & { code?: string }, socket: Duplex): void => {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    answerAndClose(socket, clientError(error.code), body);
  };
}

/**
 * Node's request timeout covers the headers only: once they are in, a body may trickle in
 * a byte at a time for as long as each byte beats the idle timeout (a slow-POST attack
 * holding connections for hours). This deadline covers the body too.
 *
 * A request is only looked at again after the event loop has finished parsing what it has
 * read (one setImmediate per loop turn for all requests of that turn): almost every
 * request arrives whole in one packet and needs no timer; only those still missing part
 * of their body get one. (At onRequest the body is never complete yet, and on the next
 * tick not either: Node runs the tick queue between the parser's header and body calls.)
 */
export function enforceBodyDeadline(app: FastifyInstance, ms: number, body: ErrorBody): void {
  let requests: IncomingMessage[] = [];
  let replies: ServerResponse[] = [];
  let turnStartedAt = 0;
  const armForIncomplete = () => {
    const [batch, answers, arrivedAt] = [requests, replies, turnStartedAt];
    requests = [];
    replies = [];
    batch.forEach((raw, i) => {
      const reply = answers[i] as ServerResponse;
      if (raw.complete || reply.headersSent || raw.socket.destroyed) return;
      const timer = setTimeout(
        () => {
          if (!raw.complete && !reply.headersSent) {
            const e = apiError(408, "M_UNKNOWN", "the request did not arrive in time");
            answerAndClose(raw.socket, e, body);
          }
        },
        Math.max(0, ms - (Date.now() - arrivedAt)),
      );
      timer.unref();
      reply.once("close", () => clearTimeout(timer));
    });
  };
  app.addHook("onRequest", (request, reply, done) => {
    if (!request.raw.complete) {
      if (requests.length === 0) {
        turnStartedAt = Date.now();
        setImmediate(armForIncomplete);
      }
      requests.push(request.raw);
      replies.push(reply.raw);
    }
    done();
  });
}

/** Answers CONNECT and unknown Expect values on `server` in the service's error shape. */
export function answerUnroutable(server: Server, body: ErrorBody): void {
  server.on("connect", (_request: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => undefined);
    answerAndClose(socket, apiError(405, "M_UNRECOGNIZED", "method not allowed"), body);
  });
  server.on("checkExpectation", (_request: IncomingMessage, response: ServerResponse) => {
    const e = apiError(417, "M_UNRECOGNIZED", "only Expect: 100-continue is understood");
    response
      .writeHead(e.status, { "content-type": "application/json; charset=utf-8" })
      .end(JSON.stringify(body(e)));
  });
}
