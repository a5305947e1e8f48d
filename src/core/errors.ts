/**
 * The catalogue of error codes our HTTP surfaces answer with. Every code is documented in
 * docs/errors.md; a test fails when one is missing there (STYLE.md "Edges").
 */

/** Error code → what it means to the caller. */
export const ERROR_CATALOGUE = {
  M_NOT_JSON: "The request body is not valid JSON.",
  M_BAD_JSON: "The body is JSON but a field is missing, has the wrong type or a bad format.",
  M_TOO_LARGE: "The request body is larger than the endpoint accepts.",
  M_INVALID_PARAM:
    "A parameter is not usable: a room directory search term over the length limit, or a paging token (since) the guard did not issue or that expired.",
  M_UNRECOGNIZED: "Unknown path (404) or a method the path does not support (405).",
  M_MISSING_TOKEN: "No access token was given (Authorization: Bearer, or api_token in the body).",
  M_UNKNOWN_TOKEN:
    "The access token is not known, was revoked, or the header and body tokens differ.",
  M_FORBIDDEN: "The caller may not do this, e.g. its source address is not allowed.",
  M_LIMIT_EXCEEDED: "Too many requests; retry after retry_after_ms milliseconds.",
  M_NOT_FOUND: "The thing asked about does not exist.",
  M_UNKNOWN: "The service cannot answer right now (for example no list is loaded yet).",
  LOJ_ACCOUNT_FROZEN:
    "The user pseudonym is frozen after repeated hits on listed rooms; every lookup fails until the client unfreezes it.",
  "ORG.MATRIX.MSC4387_SAFETY":
    "MSC4387 M_SAFETY (unstable): the request was refused for safety; `harms` names why, `error` offers help.",
} as const;

/** A documented error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An expected failure on the wire: HTTP status, Matrix-style errcode and human text. */
export interface ApiError {
  readonly status: number;
  readonly errcode: ErrorCode;
  readonly error: string;
  /** Set with M_LIMIT_EXCEEDED. */
  readonly retryAfterMs?: number;
}

/** Builds an ApiError value. */
export function apiError(
  status: number,
  errcode: ErrorCode,
  error: string,
  retryAfterMs?: number,
): ApiError {
  return retryAfterMs === undefined
    ? { status, errcode, error }
    : { status, errcode, error, retryAfterMs };
}
