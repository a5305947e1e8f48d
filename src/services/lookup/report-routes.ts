/**
 * The report extension's routes (docs/api.md, "Reports"), beside the LJS-4 routes:
 *
 *     POST /_matrix/loj/v1/report          report a room up to the provider (`report` scope)
 *     GET  /_matrix/loj/v1/report/{ref}    how a report of the caller stands
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiError } from "../../core/errors.js";
import { ok, type Result } from "../../core/result.js";
import { bearerToken } from "../../http/body.js";
import { rejectOtherMethods } from "../../http/fastify.js";
import { decodeValue, parseJsonBytes } from "../../protocol/decode.js";
import { LJS4_PATHS, reportRequest, type ReportRequest, tokenOnly } from "../../protocol/ljs4.js";
import type { ActiveClient } from "./client-registry.js";
import type { LookupService } from "./lookup-service.js";
import type { ReportQueue } from "./report-queue.js";
import { writeLjs4Error } from "./routes.js";

/** A reason of 1000 characters, each escaped as `\uXXXX`, with room to spare. */
const REPORT_BODY_LIMIT = 16 * 1024;

/** Registers the report routes. */
export function registerReportRoutes(
  app: FastifyInstance,
  service: LookupService,
  queue: ReportQueue,
): void {
  const path = LJS4_PATHS.report;
  const caller = (request: FastifyRequest) => ({
    headerToken: bearerToken(request.headers.authorization),
    address: request.ip,
  });

  /** Authenticates first (header or body token), then decodes the body. */
  function edge(
    request: FastifyRequest,
  ): Result<{ client: ActiveClient; body: ReportRequest }, ApiError> {
    const json = parseJsonBytes(request.body);
    if (!json.ok) return json;
    const token = decodeValue(tokenOnly, json.value);
    if (!token.ok) return token;
    const client = service.authenticate(caller(request), token.value.api_token);
    if (!client.ok) return client;
    const body = decodeValue(reportRequest, json.value);
    return body.ok ? ok({ client: client.value, body: body.value }) : body;
  }

  app.post(path, { bodyLimit: REPORT_BODY_LIMIT }, async (request, reply) => {
    const decoded = edge(request);
    if (!decoded.ok) return writeLjs4Error(reply, decoded.error);
    const filed = await queue.file(decoded.value.client, decoded.value.body);
    if (!filed.ok) return writeLjs4Error(reply, filed.error);
    return reply.code(202).send({ report_ref: filed.value });
  });
  rejectOtherMethods(app, path, ["POST"], writeLjs4Error);

  const one = `${path}/:ref`;
  app.get<{ Params: { ref: string } }>(one, async (request, reply) => {
    const client = service.authenticate(caller(request), undefined);
    if (!client.ok) return writeLjs4Error(reply, client.error);
    const status = await queue.status(client.value, request.params.ref);
    if (!status.ok) return writeLjs4Error(reply, status.error);
    return reply.code(200).send(status.value);
  });
  rejectOtherMethods(app, one, ["GET"], writeLjs4Error);
}
