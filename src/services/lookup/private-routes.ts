/**
 * The HTTP surface of the private lookup (LJS-4 v2, docs/api.md), beside v1's routes.ts:
 *
 *     GET  /_matrix/loj/v2/keys                 the client's keys, newest first
 *     GET  /_matrix/loj/v2/listed_set/{keyId}   the listed set (octet-stream), ETag; 304
 *     POST /_matrix/loj/v2/evaluate/{keyId}         one blinded element (counts like a lookup)
 *     POST /_matrix/loj/v2/evaluate_batch/{keyId}   up to 100 (`directory` scope)
 *     POST /_matrix/loj/v2/report               a set hit → report id, tags, freeze state
 *     POST /_matrix/loj/v2/resolve              a batch's set hits (`directory` scope)
 *
 * Same error shape as v1. The JSON endpoints take the token in the header or the body, as
 * v1; the evaluations are binary (src/protocol/ljs4-v2.ts) and take it in the header.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { z } from "zod";
import { apiError, type ApiError } from "../../core/errors.js";
import type { Result } from "../../core/result.js";
import { bearerToken } from "../../http/body.js";
import { rejectOtherMethods } from "../../http/fastify.js";
import { decodeValue, parseJsonBytes } from "../../protocol/decode.js";
import { checkAnswerBody, lookupMatchBody, tokenOnly } from "../../protocol/ljs4.js";
import {
  LJS4_V2_PATHS,
  EVALUATE_REQUEST_BYTES,
  EVALUATION_MEDIA_TYPE,
  MAX_EVALUATE_BATCH,
  decodeEvaluateBatchRequest,
  decodeEvaluateRequest,
  encodeEvaluation,
  keyIdSchema,
  reportRequest,
  resolveRequest,
} from "../../protocol/ljs4-v2.js";
import type { ActiveClient } from "./client-registry.js";
import type { LookupService } from "./lookup-service.js";
import type { LookupMetrics } from "./metrics.js";
import type { PrivateLookupService } from "./private-lookup.js";
import { outcomeOf, writeLjs4Error } from "./routes.js";

/** A resolve: 100 outputs of 43 characters with JSON punctuation, and room to spare. */
const BATCH_BODY_LIMIT = 16 * 1024;
/** An evaluate_batch: 100 elements of 32 bytes. */
const EVALUATE_BATCH_BODY_LIMIT = MAX_EVALUATE_BATCH * EVALUATE_REQUEST_BYTES;

/** Whether an If-None-Match header names this ETag (or `*`). */
function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header.join(",") : header;
  return text
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === etag || t === "*");
}

function noSuchKey(): ApiError {
  return apiError(404, "M_NOT_FOUND", "no such key");
}

/** Registers the v2 routes. */
export function registerPrivateLookupRoutes(
  app: FastifyInstance,
  lookup: LookupService,
  service: PrivateLookupService,
  metrics: LookupMetrics,
): void {
  const caller = (request: FastifyRequest) => ({
    headerToken: bearerToken(request.headers.authorization),
    address: request.ip,
  });

  /** As v1: the body parsed, the caller authenticated, then the body decoded. */
  function authenticated<S extends z.ZodType>(
    request: FastifyRequest,
    schema: S,
  ): Result<{ client: ActiveClient; body: z.output<S> }, ApiError> {
    const json = parseJsonBytes(request.body);
    if (!json.ok) return json;
    const token = decodeValue(tokenOnly, json.value);
    if (!token.ok) return token;
    const client = lookup.authenticate(caller(request), token.value.api_token);
    if (!client.ok) return client;
    const body = decodeValue(schema, json.value);
    return body.ok ? { ok: true, value: { client: client.value, body: body.value } } : body;
  }

  app.get(LJS4_V2_PATHS.keys, async (request, reply) => {
    const client = lookup.authenticate(caller(request), undefined);
    if (!client.ok) return writeLjs4Error(reply, client.error);
    return reply.code(200).send({ keys: service.keys(client.value) });
  });
  rejectOtherMethods(app, LJS4_V2_PATHS.keys, ["GET"], writeLjs4Error);

  const setPath = `${LJS4_V2_PATHS.listedSet}/:keyId`;
  app.get<{ Params: { keyId: string } }>(setPath, async (request, reply) => {
    const client = lookup.authenticate(caller(request), undefined);
    if (!client.ok) return writeLjs4Error(reply, client.error);
    const keyId = keyIdSchema.safeParse(request.params.keyId);
    if (!keyId.success) return writeLjs4Error(reply, noSuchKey());
    const built = service.listedSet(client.value, keyId.data);
    if (!built.ok) return writeLjs4Error(reply, built.error);
    const etag = built.value.set.etag();
    reply.header("etag", etag).header("cache-control", "private, no-cache");
    if (matchesEtag(request.headers["if-none-match"], etag)) return reply.code(304).send();
    return reply.code(200).type("application/octet-stream").send(built.value.set.toBytes());
  });
  rejectOtherMethods(app, setPath, ["GET"], writeLjs4Error);

  /**
   * The evaluations: the key id from the path, the caller from the header, the binary body
   * decoded, then the service's answer written as binary too.
   */
  function evaluation<T>(
    path: string,
    options: { bodyLimit: number },
    counter: typeof metrics.privateEvaluations,
    decode: (body: Buffer) => Result<T, string>,
    evaluate: (client: ActiveClient, keyId: string, body: T) => Result<Uint8Array[], ApiError>,
  ): void {
    const route = `${path}/:keyId`;
    app.post<{ Params: { keyId: string } }>(route, options, async (request, reply) => {
      const fail = (e: ApiError) => {
        counter.inc({ outcome: outcomeOf(e) });
        return writeLjs4Error(reply, e);
      };
      const client = lookup.authenticate(caller(request), undefined);
      if (!client.ok) return fail(client.error);
      const keyId = keyIdSchema.safeParse(request.params.keyId);
      if (!keyId.success) return fail(noSuchKey());
      const body = decode(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
      if (!body.ok) return fail(apiError(400, "M_INVALID_PARAM", body.error));
      const evaluated = evaluate(client.value, keyId.data, body.value);
      if (!evaluated.ok) return fail(evaluated.error);
      counter.inc({ outcome: "evaluated" });
      const setVersion = service.setVersion(client.value, keyId.data);
      const answer = encodeEvaluation({ setVersion, evaluatedElements: evaluated.value });
      return reply.code(200).type(EVALUATION_MEDIA_TYPE).send(answer);
    });
    rejectOtherMethods(app, route, ["POST"], writeLjs4Error);
  }

  evaluation(
    LJS4_V2_PATHS.evaluate,
    { bodyLimit: EVALUATE_REQUEST_BYTES },
    metrics.privateEvaluations,
    decodeEvaluateRequest,
    (client, keyId, body) => {
      const evaluated = service.evaluate(client, keyId, body);
      return evaluated.ok ? { ok: true, value: [evaluated.value] } : evaluated;
    },
  );
  evaluation(
    LJS4_V2_PATHS.evaluateBatch,
    { bodyLimit: EVALUATE_BATCH_BODY_LIMIT },
    metrics.privateBatches,
    decodeEvaluateBatchRequest,
    (client, keyId, elements) => service.evaluateBatch(client, keyId, elements),
  );

  const batchOptions = { bodyLimit: BATCH_BODY_LIMIT };
  app.post(LJS4_V2_PATHS.report, async (request, reply) => {
    const fail = (e: ApiError) => {
      metrics.privateReports.inc({ outcome: outcomeOf(e) });
      return writeLjs4Error(reply, e);
    };
    const edge = authenticated(request, reportRequest);
    if (!edge.ok) return fail(edge.error);
    const answer = await service.report(edge.value.client, edge.value.body);
    if (!answer.ok) return fail(answer.error);
    metrics.privateReports.inc({ outcome: answer.value.match ? "match" : "no_match" });
    if (!answer.value.match) return reply.code(204).send();
    return reply.code(200).send(lookupMatchBody(answer.value));
  });
  rejectOtherMethods(app, LJS4_V2_PATHS.report, ["POST"], writeLjs4Error);

  app.post(LJS4_V2_PATHS.resolve, batchOptions, async (request, reply) => {
    const fail = (e: ApiError) => {
      metrics.privateBatches.inc({ outcome: outcomeOf(e) });
      return writeLjs4Error(reply, e);
    };
    const edge = authenticated(request, resolveRequest);
    if (!edge.ok) return fail(edge.error);
    const listed = service.resolve(edge.value.client, edge.value.body);
    if (!listed.ok) return fail(listed.error);
    metrics.privateBatches.inc({ outcome: "resolved" });
    return reply.code(200).send(checkAnswerBody(listed.value));
  });
  rejectOtherMethods(app, LJS4_V2_PATHS.resolve, ["POST"], writeLjs4Error);
}
