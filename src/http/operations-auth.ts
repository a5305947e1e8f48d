/**
 * The gate in front of the operations listeners' state-changing endpoints (`POST /admin/…`
 * of the lookup service and the guard). `/metrics`, `/health` and `/ready` stay open; a
 * request that changes state must
 *
 *  1. not come from a browser on another site: any `Origin` header, or a `Sec-Fetch-Site`
 *     other than `same-origin`/`none`, is refused (403 M_FORBIDDEN). Browsers send both on
 *     cross-site POSTs (Fetch standard, "Origin header" and Fetch Metadata); the CLI and
 *     curl send neither;
 *  2. carry the operations token as `Authorization: Bearer` (401 M_MISSING_TOKEN /
 *     M_UNKNOWN_TOKEN), compared in constant time; without a configured token file the
 *     endpoints are off (403 M_FORBIDDEN);
 *  3. declare its body as `application/json` (415 M_NOT_JSON): a "simple" cross-site request
 *     (text/plain, form encodings) is never read as a command.
 *
 * The checks run before the body is read, so an unauthenticated caller sends no body.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { apiError } from "../core/errors.js";
import { bearerToken } from "./body.js";
import type { ErrorWriter } from "./fastify.js";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * A constant-time check of presented secrets against `expected` (timingSafeEqual over
 * SHA-256 digests, so neither length nor prefix leaks). The expected digest is computed once.
 */
export function secretMatcher(expected: string): (presented: string | undefined) => boolean {
  const wanted = digest(expected);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), wanted);
}

/**
 * Who a request authenticated by the operations token acts as: named in alerts and logs.
 * Never taken from the request body, which anyone holding the token could fill with a name.
 */
export const OPERATIONS_ACTOR = "the operations token";

/** Options of {@link operationsGate}. */
export interface OperationsGateOptions {
  /** The operations token; `undefined` turns the state-changing endpoints off. */
  readonly token: string | undefined;
  /** The config key that names the token file (quoted in the "off" answer). */
  readonly configKey: string;
  readonly writeError: ErrorWriter;
  /** The body must be JSON (`false`: no body, or a JSON one). */
  readonly bodyRequired: boolean;
}

/** `Sec-Fetch-Site` values a browser sends for requests a user made on this origin. */
const SAME_SITE = new Set(["same-origin", "none"]);

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

/** The media type of a Content-Type header, lower case, without parameters. */
function mediaType(header: string | undefined): string | undefined {
  return header?.split(";")[0]?.trim().toLowerCase();
}

/** An `onRequest` hook for a state-changing operations route (see the file comment). */
export function operationsGate(options: OperationsGateOptions) {
  const matches = options.token === undefined ? undefined : secretMatcher(options.token);
  const { writeError } = options;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const site = single(request.headers["sec-fetch-site"])?.trim().toLowerCase();
    if (request.headers.origin !== undefined || (site !== undefined && !SAME_SITE.has(site)))
      return writeError(reply, apiError(403, "M_FORBIDDEN", "cross-site requests are refused"));
    if (matches === undefined) {
      return writeError(
        reply,
        apiError(403, "M_FORBIDDEN", `this endpoint is off: set ${options.configKey}`),
      );
    }
    const presented = bearerToken(single(request.headers.authorization));
    if (presented === undefined)
      return writeError(
        reply,
        apiError(401, "M_MISSING_TOKEN", "the operations token is required"),
      );
    if (!matches(presented))
      return writeError(reply, apiError(401, "M_UNKNOWN_TOKEN", "unknown operations token"));
    const type = mediaType(single(request.headers["content-type"]));
    const json = type === "application/json";
    if (!json && (options.bodyRequired || type !== undefined))
      return writeError(
        reply,
        apiError(415, "M_NOT_JSON", "the body must be sent as Content-Type: application/json"),
      );
    return undefined;
  };
}
