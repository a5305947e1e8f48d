/**
 * The lookup service's whole HTTP surface at a glance.
 *
 *   API listener (lookup.listen)
 *     PUT  /_matrix/loj/v1/abuse_lookup   LJS-4 v1 lookup (200 match / 204 no match)
 *     POST /_matrix/loj/v1/unfreeze       lift a freeze of one of the caller's pseudonyms
 *     POST /_matrix/loj/v1/check          batch check, `directory` scope (Redlight extension)
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
import type { ApiError } from "../../core/errors.js";
import { bearerToken, jsonObjectBody } from "../../http/body.js";
import { rejectOtherMethods } from "../../http/fastify.js";
import { operationsGate } from "../../http/operations-auth.js";
import { apiError } from "../../core/errors.js";
import type { Registry } from "prom-client";
import type { LookupService } from "./lookup-service.js";
import type { LookupMetrics, LookupOutcome } from "./metrics.js";

/** An error in the LJS-4 shape: `{error: {errcode, error}, report_id: null}`. */
export function ljs4ErrorBody(e: ApiError) {
  const error =
    e.retryAfterMs === undefined
      ? { errcode: e.errcode, error: e.error }
      : { errcode: e.errcode, error: e.error, retry_after_ms: e.retryAfterMs };
  return { error, report_id: null };
}

/** Writes an error in the LJS-4 shape. */
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

function outcomeOf(e: ApiError): LookupOutcome {
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
  const LOOKUP = "/_matrix/loj/v1/abuse_lookup";
  const UNFREEZE = "/_matrix/loj/v1/unfreeze";
  const CHECK = "/_matrix/loj/v1/check";

  app.put(LOOKUP, async (request, reply) => {
    const stop = metrics.lookupSeconds.startTimer();
    const fail = (e: ApiError) => {
      metrics.lookups.inc({ outcome: outcomeOf(e) });
      stop();
      return writeLjs4Error(reply, e);
    };
    const body = jsonObjectBody(request.body);
    if (!body.ok) return fail(notJson(body.error));
    const client = service.authenticate(callerOf(request), body.value);
    if (!client.ok) return fail(client.error);
    const answer = await service.lookup(client.value, body.value);
    if (!answer.ok) return fail(answer.error);
    metrics.lookups.inc({ outcome: answer.value.match ? "match" : "no_match" });
    stop();
    if (!answer.value.match) return reply.code(204).send();
    const { reportId, tags, frozeNow } = answer.value;
    return reply
      .code(200)
      .send(
        frozeNow
          ? { error: null, report_id: reportId, tags, frozen: true }
          : { error: null, report_id: reportId, tags },
      );
  });
  rejectOtherMethods(app, LOOKUP, ["PUT"], writeLjs4Error);

  app.post(UNFREEZE, async (request, reply) => {
    const body = jsonObjectBody(request.body);
    if (!body.ok) return writeLjs4Error(reply, notJson(body.error));
    const client = service.authenticate(callerOf(request), body.value);
    if (!client.ok) return writeLjs4Error(reply, client.error);
    const lifted = await service.unfreeze(client.value, body.value);
    if (!lifted.ok) return writeLjs4Error(reply, lifted.error);
    return reply.code(200).send({ error: null, unfrozen: lifted.value });
  });
  rejectOtherMethods(app, UNFREEZE, ["POST"], writeLjs4Error);

  app.post(CHECK, { bodyLimit: CHECK_BODY_LIMIT }, async (request, reply) => {
    const body = jsonObjectBody(request.body);
    if (!body.ok) return writeLjs4Error(reply, notJson(body.error));
    const client = service.authenticate(callerOf(request), body.value);
    if (!client.ok) return writeLjs4Error(reply, client.error);
    const listed = service.check(client.value, body.value);
    if (!listed.ok) return writeLjs4Error(reply, listed.error);
    const out: Record<string, { report_id: string; tags: readonly string[] }> = {};
    for (const [hash, match] of listed.value)
      out[hash] = { report_id: match.reportId, tags: match.tags };
    return reply.code(200).send({ error: null, listed: out });
  });
  rejectOtherMethods(app, CHECK, ["POST"], writeLjs4Error);

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

function notJson(kind: "not_json" | "not_object"): ApiError {
  return kind === "not_json"
    ? apiError(400, "M_NOT_JSON", "the body must be valid JSON")
    : apiError(400, "M_BAD_JSON", "the body must be a JSON object");
}
