/**
 * The guard's whole HTTP surface at a glance.
 *
 *   Callback listener (guard.listen) — synapse-http-antispam's `base_url` is …/_redlight/antispam
 *     POST /_redlight/antispam/{callback}   bearer secret; 200 {} allows, 403 {errcode, error} refuses
 *          ping                             echoes {id, status: "ok"}
 *          user_may_join_room               join gate
 *          user_may_invite                  invite gate (local inviter)
 *          federated_user_may_invite        invite gate (remote inviter, stripped state)
 *          user_may_publish_room            publish gate (room directory)
 *          anything else                    200 {} (never fail closed on an unknown callback)
 *     POST /_policyserv/v1/check/text       term check of a raw text, bearer text_check_key_file
 *                                           (Synapse's proposed `safety_policy`); 200 {} or 400
 *                                           ORG.MATRIX.MSC4387_SAFETY; absent without the key
 *     GET  /health                          process is up
 *     GET  /ready                           200 while the lookup service answers, else 503
 *                                           (`warnings`: problems that do not fail it)
 *   Client-API proxy (guard.client_proxy.listen; the reverse proxy routes only these here)
 *     GET|POST|… /_matrix/client/{api/v1,r0,v3,unstable}/publicRooms   (with guard.directory)
 *     GET|POST|… /_matrix/federation/v1/publicRooms
 *                                           forwarded to the homeserver; a matching search
 *                                           is answered with help, pages are filtered
 *     POST /_matrix/client/{v3,r0,unstable,unstable/xyz.amorgan.knock}/knock/{roomIdOrAlias}
 *                                           decided like a join, then forwarded
 *                                           (client-proxy/knock-gate.ts)
 *     POST /_matrix/client/{v3,r0}/rooms/{roomId}/report
 *                                           forwarded; an accepted report is copied
 *                                           (client-proxy/room-reports.ts, client-proxy/routes.ts)
 *   Operations listener (guard.metrics_listen; keep private)
 *     GET  /metrics                         Prometheus metrics
 *     POST /admin/unfreeze {user_id}        unfreeze (used by `redlight guard unfreeze`); bearer
 *                                           operations_token_file, application/json, no
 *                                           cross-site requests (src/http/operations-auth.ts)
 *
 * A wrong or missing secret gets a non-JSON 401: Synapse must not read it as a refusal,
 * and a JSON M_UNKNOWN_TOKEN would tell clients their own session is dead.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Registry } from "prom-client";
import type { ApiError } from "../../core/errors.js";
import { apiError } from "../../core/errors.js";
import { parseUserId } from "../../core/ids.js";
import { err } from "../../core/result.js";
import { bearerToken, jsonObjectBody } from "../../http/body.js";
import { rejectOtherMethods } from "../../http/fastify.js";
import { OPERATIONS_ACTOR, operationsGate, secretMatcher } from "../../http/operations-auth.js";
import {
  OWN_ANSWER_HEADERS,
  type DirectoryApi,
  type DirectoryService,
} from "./directory/directory-service.js";
import { TEXT_CHECK_PATH, type TextCheck } from "./directory/text-check.js";
import type { GuardService } from "./gates/guard-service.js";
import type { Unfreezer } from "./operations/unfreeze.js";

/** The path prefix of the callbacks; the module appends `/<callback>`. */
export const CALLBACK_PREFIX = "/_redlight/antispam";

const CALLBACK_RE = /^\/_redlight\/antispam\/([A-Za-z0-9_.-]{1,64})(?:\?.*)?$/;
const CALLBACK_ROUTE = `${CALLBACK_PREFIX}/:callback`;

/** The callback a URL addresses, if it is a callback URL. */
export function callbackOf(url: string): string | undefined {
  return CALLBACK_RE.exec(url)?.[1];
}

export { secretMatcher };

/** Constant-time comparison of a presented secret with the configured one (over SHA-256). */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  return secretMatcher(expected)(presented);
}

/**
 * The callback a request addresses, by the route it matched: Fastify decodes the path
 * before routing (`/_redlight/antispa%6D/ping` reaches the callback route), so the raw
 * URL alone must never decide whether a request is a callback.
 */
function routedCallback(request: FastifyRequest): string | undefined {
  if (request.routeOptions.url !== CALLBACK_ROUTE) return callbackOf(request.url);
  const callback = (request.params as { callback?: unknown } | undefined)?.callback;
  return typeof callback === "string" ? callback : "";
}

/** Writes a plain JSON error (non-callback paths). */
export function writeGuardError(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply.code(e.status).type("application/json").send({ errcode: e.errcode, error: e.error });
}

/**
 * Writes a Matrix error on the directory listener, with the CORS headers Synapse sends
 * (a web client must be able to read it).
 */
export function writeDirectoryError(reply: FastifyReply, e: ApiError): FastifyReply {
  for (const [name, value] of OWN_ANSWER_HEADERS) reply.header(name, value);
  return reply.code(e.status).send({ errcode: e.errcode, error: e.error });
}

/**
 * The error writer of the callback listener: framework errors on a callback path (body too
 * large, unreadable) are answered by that callback's fail mode, like any undecodable body.
 */
export function callbackErrorWriter(service: GuardService) {
  return (reply: FastifyReply, e: ApiError): FastifyReply => {
    const callback = routedCallback(reply.request);
    if (callback === undefined || reply.request.method !== "POST" || e.status === 404)
      return writeGuardError(reply, e);
    const answer = service.failModeAnswer(callback);
    return reply.code(answer.status).type("application/json").send(answer.body);
  };
}

/** Registers the callback listener's routes. */
export function registerCallbackRoutes(
  app: FastifyInstance,
  service: GuardService,
  secret: string,
  ready: () => { lookup_reachable: boolean; warnings?: readonly string[] },
): void {
  const CALLBACK = CALLBACK_ROUTE;
  const matches = secretMatcher(secret);
  app.addHook("onRequest", async (request, reply) => {
    // By the route matched as well as by the raw URL: see routedCallback.
    if (routedCallback(request) === undefined && !request.url.startsWith(`${CALLBACK_PREFIX}/`))
      return;
    if (!matches(bearerToken(request.headers.authorization))) {
      return reply.code(401).type("text/plain").send("unauthorized");
    }
    // The body is decoded as JSON whatever its content type says (the module always sends
    // application/json): an odd or malformed Content-Type must not turn a readable
    // request into a fail-mode answer.
    if (request.method === "POST") request.headers["content-type"] = "application/json";
  });
  app.post<{ Params: { callback: string } }>(CALLBACK, async (request, reply) => {
    const parsed = jsonObjectBody(request.body);
    const body = parsed.ok ? parsed : err(parsed.error);
    const answer = await service.answer(request.params.callback, body);
    return reply.code(answer.status).type("application/json").send(answer.body);
  });
  rejectOtherMethods(app, CALLBACK, ["POST"], writeGuardError);

  app.get("/health", async (_request, reply) => reply.send({ status: "ok" }));
  rejectOtherMethods(app, "/health", ["GET"], writeGuardError);
  app.get("/ready", async (_request, reply) => {
    const state = ready();
    return reply.code(state.lookup_reachable ? 200 : 503).send(state);
  });
  rejectOtherMethods(app, "/ready", ["GET"], writeGuardError);
}

/** Registers the operations listener's routes; `token` gates the state-changing ones. */
export function registerOperationsRoutes(
  app: FastifyInstance,
  registry: Registry,
  unfreezer: Unfreezer,
  token: string | undefined,
): void {
  app.get("/metrics", async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  rejectOtherMethods(app, "/metrics", ["GET"], writeGuardError);

  const onRequest = operationsGate({
    token,
    configKey: "guard.operations_token_file",
    writeError: writeGuardError,
    bodyRequired: true,
  });
  app.post("/admin/unfreeze", { onRequest }, async (request, reply) => {
    const body = jsonObjectBody(request.body);
    const user = parseUserId(body.ok ? body.value["user_id"] : undefined);
    if (!user.ok)
      return writeGuardError(reply, apiError(400, "M_BAD_JSON", `user_id: ${user.error}`));
    // The actor is who authenticated, never what the body claims.
    const outcome = await unfreezer.unfreeze(user.value, OPERATIONS_ACTOR, "cli");
    if (!outcome.ok) return writeGuardError(reply, apiError(503, "M_UNKNOWN", outcome.error));
    return reply.send({
      unfrozen: outcome.value.lifted,
      suspension: outcome.value.suspension,
      summary: outcome.value.summary,
    });
  });
  rejectOtherMethods(app, "/admin/unfreeze", ["POST"], writeGuardError);
}

/**
 * The paths of the directory listener. Synapse serves the client endpoint under four
 * prefixes (`client_patterns(..., v1=True)`); a reverse proxy that routed only some of
 * them to the guard would leave a way around it (docs/directory.md).
 */
export const DIRECTORY_PATHS: Readonly<Record<string, DirectoryApi>> = {
  "/_matrix/client/api/v1/publicRooms": "client",
  "/_matrix/client/r0/publicRooms": "client",
  "/_matrix/client/v3/publicRooms": "client",
  "/_matrix/client/unstable/publicRooms": "client",
  "/_matrix/federation/v1/publicRooms": "federation",
};

/** Registers the directory listener's routes: every method is forwarded. */
export function registerDirectoryRoutes(app: FastifyInstance, service: DirectoryService): void {
  // The body is forwarded as bytes, so the guard reads it whatever its Content-Type (as
  // Synapse does); the header itself is forwarded as received.
  const contentTypes = new WeakMap<object, string | undefined>();
  app.addHook("onRequest", async (request) => {
    contentTypes.set(request.raw, request.headers["content-type"]);
    request.headers["content-type"] = "application/octet-stream";
  });
  for (const [url, api] of Object.entries(DIRECTORY_PATHS)) {
    app.route({
      method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
      url,
      handler: async (request, reply) => {
        // The homeserver call is abandoned when the client goes away.
        const gone = new AbortController();
        reply.raw.on("close", () => {
          if (!reply.raw.writableFinished) gone.abort();
        });
        const headers = { ...request.headers };
        const type = contentTypes.get(request.raw);
        if (type === undefined) delete headers["content-type"];
        else headers["content-type"] = type;
        const answer = await service.handle({
          api,
          method: request.method,
          rawUrl: request.raw.url ?? url,
          headers,
          body: Buffer.isBuffer(request.body) ? request.body : undefined,
          peer: request.socket.remoteAddress,
          signal: gone.signal,
        });
        reply.code(answer.status);
        for (const [name, value] of answer.headers) reply.header(name, value);
        return reply.send(answer.body);
      },
    });
  }
}

/** Registers the text check on the callback listener (bearer `key`). */
export function registerTextCheckRoute(app: FastifyInstance, check: TextCheck, key: string): void {
  const matches = secretMatcher(key);
  // The key is checked before the body is read: an unknown caller never gets to send 256 KiB.
  const authorise = async (request: FastifyRequest, reply: FastifyReply) => {
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined)
      return writeGuardError(reply, apiError(401, "M_MISSING_TOKEN", "a bearer key is required"));
    if (!matches(presented))
      return writeGuardError(reply, apiError(401, "M_UNKNOWN_TOKEN", "unknown key"));
    // A raw text body, whatever the Content-Type says.
    request.headers["content-type"] = "text/plain";
  };
  app.post(TEXT_CHECK_PATH, { onRequest: authorise }, async (request, reply) => {
    const text = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
    const language = request.headers["accept-language"];
    const answer = await check.answer(
      text,
      Array.isArray(language) ? language.join(",") : language,
    );
    return reply.code(answer.status).type("application/json").send(answer.body);
  });
  rejectOtherMethods(app, TEXT_CHECK_PATH, ["POST"], writeGuardError);
}
