/**
 * The lookup service's whole HTTP surface at a glance.
 *
 *   API listener (lookup.listen)
 *     PUT  /_matrix/loj/v1/abuse_lookup   LJS-4 v1 lookup (200 match / 204 no match)
 *     POST /_matrix/loj/v1/unfreeze       lift a freeze of one of the caller's pseudonyms
 *     POST /_matrix/loj/v1/check          batch check, `directory` scope (Redlight extension)
 *     POST /_matrix/loj/v1/report         report a room up, `report` scope (report-routes.ts)
 *     GET  /_matrix/loj/v1/report/{ref}   the state of one's own report (report-routes.ts)
 *     GET  /_matrix/loj/v1/list_version   opaque version of the client's view of the list
 *                                         (Redlight extension)
 *     GET  /health                        process is up
 *     GET  /ready                         list loaded and database reachable (`warnings`
 *                                         names problems that do not fail readiness)
 *   Operations listener (lookup.metrics_listen; keep private)
 *     GET  /metrics                       Prometheus metrics
 *     POST /admin/reload                  reload every list source now; bearer
 *                                         operations_token_file, no cross-site requests
 *                                         (src/http/operations-auth.ts)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { operationsGate } from "../../http/operations-auth.js";
import type { Registry } from "prom-client";
import type { z } from "zod";
import type { ApiError } from "../../core/errors.js";
import { err, type Result } from "../../core/result.js";
import { bearerToken } from "../../http/body.js";
import { rejectOtherMethods } from "../../http/fastify.js";
import { decodeValue, parseJsonBytes } from "../../protocol/decode.js";
import {
  LJS4_PATHS,
  abuseLookupRequest,
  checkAnswerBody,
  checkRequest,
  ljs4ErrorBody,
  lookupMatchBody,
  tokenOnly,
  unfreezeRequest,
} from "../../protocol/ljs4.js";
import type { ActiveClient } from "./client-registry.js";
import type { LookupService } from "./lookup-service.js";
import type { LookupMetrics, LookupOutcome } from "./metrics.js";

export { ljs4ErrorBody } from "../../protocol/ljs4.js";

/** Writes an error in the LJS-4 shape (`{error: {errcode, error}, report_id: null}`). */
export function writeLjs4Error(reply: FastifyReply, e: ApiError): FastifyReply {
  if (e.retryAfterMs !== undefined)
    reply.header("retry-after", String(Math.ceil(e.retryAfterMs / 1000)));
  return reply.code(e.status).type("application/json").send(ljs4ErrorBody(e));
}

const OUTCOME_BY_STATUS: Record<number, LookupOutcome> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  413: "bad_request",
  429: "rate_limited",
  503: "unavailable",
};

/** The metrics outcome of an error answer. */
export function outcomeOf(e: ApiError): LookupOutcome {
  if (e.errcode === "LOJ_ACCOUNT_FROZEN") return "frozen";
  return OUTCOME_BY_STATUS[e.status] ?? "bad_request";
}

/** 100 hashes of 64 characters with JSON punctuation, and room to spare. */
const CHECK_BODY_LIMIT = 16 * 1024;

/** Readiness inputs. */
export interface Readiness {
  listReady(): boolean;
  databaseHealthy(): boolean;
  /** Problems worth an operator's eye that do not stop the service (loose secret files). */
  warnings?(): readonly string[];
}

/** Registers the API routes. */
export function registerLookupRoutes(
  app: FastifyInstance,
  service: LookupService,
  metrics: LookupMetrics,
  readiness: Readiness,
): void {
  const {
    abuseLookup: LOOKUP,
    unfreeze: UNFREEZE,
    check: CHECK,
    listVersion: VERSION,
  } = LJS4_PATHS;

  /**
   * The edge of every API request: the body parsed as JSON, the caller authenticated (by
   * header or body token) before anything else is said about the body, then decoded with
   * the endpoint's schema into typed values.
   */
  function authenticated<S extends z.ZodType>(
    request: FastifyRequest,
    schema: S,
    authorize: (client: ActiveClient) => Result<void, ApiError> = () => ({
      ok: true,
      value: undefined,
    }),
  ): Result<{ client: ActiveClient; body: z.output<S> }, ApiError> {
    const json = parseJsonBytes(request.body);
    if (!json.ok) return json;
    const token = decodeValue(tokenOnly, json.value);
    if (!token.ok) return token;
    const client = service.authenticate(callerOf(request), token.value.api_token);
    if (!client.ok) return client;
    const allowed = authorize(client.value);
    if (!allowed.ok) return err(allowed.error);
    const body = decodeValue(schema, json.value);
    return body.ok ? { ok: true, value: { client: client.value, body: body.value } } : body;
  }

  app.put(LOOKUP, async (request, reply) => {
    const stop = metrics.lookupSeconds.startTimer();
    const fail = (e: ApiError) => {
      metrics.lookups.inc({ outcome: outcomeOf(e) });
      stop();
      return writeLjs4Error(reply, e);
    };
    const edge = authenticated(request, abuseLookupRequest);
    if (!edge.ok) return fail(edge.error);
    const answer = await service.lookup(edge.value.client, edge.value.body);
    if (!answer.ok) return fail(answer.error);
    metrics.lookups.inc({ outcome: answer.value.match ? "match" : "no_match" });
    stop();
    if (!answer.value.match) return reply.code(204).send();
    return reply.code(200).send(lookupMatchBody(answer.value));
  });
  rejectOtherMethods(app, LOOKUP, ["PUT"], writeLjs4Error);

  app.post(UNFREEZE, async (request, reply) => {
    const edge = authenticated(request, unfreezeRequest);
    if (!edge.ok) return writeLjs4Error(reply, edge.error);
    const lifted = await service.unfreeze(edge.value.client, edge.value.body.user_id_hash);
    if (!lifted.ok) return writeLjs4Error(reply, lifted.error);
    return reply.code(200).send({ error: null, unfrozen: lifted.value });
  });
  rejectOtherMethods(app, UNFREEZE, ["POST"], writeLjs4Error);

  app.post(CHECK, { bodyLimit: CHECK_BODY_LIMIT }, async (request, reply) => {
    const fail = (e: ApiError) => {
      metrics.checks.inc({ outcome: outcomeOf(e) });
      return writeLjs4Error(reply, e);
    };
    const edge = authenticated(request, checkRequest, (client) => service.mayCheck(client));
    if (!edge.ok) return fail(edge.error);
    const listed = await service.check(edge.value.client, edge.value.body.room_id_hashes);
    if (!listed.ok) return fail(listed.error);
    metrics.checks.inc({ outcome: "checked" });
    return reply.code(200).send(checkAnswerBody(listed.value));
  });
  rejectOtherMethods(app, CHECK, ["POST"], writeLjs4Error);

  app.get(VERSION, async (request, reply) => {
    const client = service.authenticate(callerOf(request), undefined);
    if (!client.ok) return writeLjs4Error(reply, client.error);
    const version = service.listVersion(client.value);
    if (!version.ok) return writeLjs4Error(reply, version.error);
    return reply.code(200).send({ error: null, version: version.value });
  });
  rejectOtherMethods(app, VERSION, ["GET"], writeLjs4Error);

  app.get("/health", async (_request, reply) => reply.send({ status: "ok" }));
  rejectOtherMethods(app, "/health", ["GET"], writeLjs4Error);
  app.get("/ready", async (_request, reply) => {
    const list = readiness.listReady();
    const database = readiness.databaseHealthy();
    const warnings = readiness.warnings?.() ?? [];
    return reply.code(list && database ? 200 : 503).send({
      list_loaded: list,
      database_reachable: database,
      ...(warnings.length === 0 ? {} : { warnings }),
    });
  });
  rejectOtherMethods(app, "/ready", ["GET"], writeLjs4Error);
}

/** Registers the operations routes (metrics, reload); `token` gates the reload. */
export function registerOperationsRoutes(
  app: FastifyInstance,
  registry: Registry,
  reload: () => Promise<{ entries: number }>,
  token: string | undefined,
): void {
  app.get("/metrics", async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  rejectOtherMethods(app, "/metrics", ["GET"], writeLjs4Error);
  const onRequest = operationsGate({
    token,
    configKey: "lookup.operations_token_file",
    writeError: writeLjs4Error,
    bodyRequired: false,
  });
  app.post("/admin/reload", { onRequest }, async (_request, reply) => reply.send(await reload()));
  rejectOtherMethods(app, "/admin/reload", ["POST"], writeLjs4Error);
}

function callerOf(request: FastifyRequest) {
  return { headerToken: bearerToken(request.headers.authorization), address: request.ip };
}
