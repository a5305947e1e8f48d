/**
 * The Fastify set-up every service shares: raw bodies for any content type, a body limit,
 * slow-request limits, and one hook that turns framework errors (oversized body, bad URL,
 * unknown route, wrong method) into the service's wire error. Nothing here knows a service.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type HTTPMethods,
} from "fastify";
import { apiError, type ApiError } from "../core/errors.js";
import {
  answerUnroutable,
  clientErrorHandler,
  enforceBodyDeadline,
  matrixErrorBody,
  type ErrorBody,
} from "./edge-errors.js";

/** How a service writes an ApiError on the wire. */
export type ErrorWriter = (reply: FastifyReply, error: ApiError) => FastifyReply;

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  readonly bodyLimit: number;
  readonly writeError: ErrorWriter;
  /** CIDRs of proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies?: readonly string[];
  /**
   * The error body written where no reply object exists (malformed HTTP, timeouts,
   * CONNECT); must match `writeError`'s. Default: the Matrix shape `{errcode, error}`.
   */
  readonly errorBody?: ErrorBody;
  /** Told about unexpected errors (bugs), which are answered as a bare 500. */
  readonly onInternalError?: (error: unknown) => void;
}

/** How long a client has to send a whole request (headers, then body). */
const REQUEST_TIMEOUT_MS = 10_000;

const ALL_METHODS: HTTPMethods[] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/** A Fastify instance with our edge behaviour. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const errorBody = options.errorBody ?? matrixErrorBody;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit,
    trustProxy:
      options.trustedProxies && options.trustedProxies.length > 0
        ? [...options.trustedProxies]
        : false,
    requestTimeout: REQUEST_TIMEOUT_MS, // slow headers cannot hold a connection for long
    connectionTimeout: 30_000,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    http: {
      // Node checks the request timeout only this often (default 30 s): without it,
      // stalled headers held their connection for up to 40 s instead of 10.
      connectionsCheckingInterval: 1_000,
      // A request without Host is answered like any other rather than with Node's bare 400.
      requireHostHeader: false,
    },
    clientErrorHandler: clientErrorHandler(errorBody),
    frameworkErrors: (_error, _request, reply) => {
      // Never the framework's error code: it names our internals.
      void options.writeError(reply, apiError(400, "M_BAD_JSON", "the request could not be read"));
    },
  });
  answerUnroutable(app.server, errorBody);
  enforceBodyDeadline(app, REQUEST_TIMEOUT_MS, errorBody); // nor can a slow body
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || error.statusCode === 413) {
      return options.writeError(
        reply,
        apiError(413, "M_TOO_LARGE", `the body must be at most ${options.bodyLimit} bytes`),
      );
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return options.writeError(
        reply,
        apiError(400, "M_BAD_JSON", "the request could not be read"),
      );
    }
    // A bug: answer without internals, and tell the service so it can log it.
    options.onInternalError?.(error);
    return options.writeError(reply, apiError(500, "M_UNKNOWN", "internal error"));
  });
  app.setNotFoundHandler((_request, reply) =>
    options.writeError(reply, apiError(404, "M_UNRECOGNIZED", "unknown path")),
  );
  return app;
}

/** Answers 405 M_UNRECOGNIZED for every method a path does not serve. */
export function rejectOtherMethods(
  app: FastifyInstance,
  url: string,
  served: readonly HTTPMethods[],
  writeError: ErrorWriter,
): void {
  const others = ALL_METHODS.filter(
    (m) => !served.includes(m) && !(m === "HEAD" && served.includes("GET")),
  );
  if (others.length === 0) return;
  app.route({
    method: others,
    url,
    handler: (_request: FastifyRequest, reply: FastifyReply) =>
      writeError(
        reply.header("allow", served.join(", ")),
        apiError(405, "M_UNRECOGNIZED", "method not allowed"),
      ),
  });
}
