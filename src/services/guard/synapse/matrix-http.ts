/**
 * One small way to call the homeserver (client-server and Synapse admin APIs) with an
 * access token and a deadline. Failures are values with a short reason that never carries
 * the token or a response body.
 */
import { err, ok, type Result } from "../../../core/result.js";

/** An answered request. */
export interface MatrixAnswer {
  readonly status: number;
  /** The JSON body, or undefined when there was none or it was not JSON. */
  readonly body: unknown;
}

/** Calls the homeserver; `path` starts with `/_matrix/` or `/_synapse/`. */
export type MatrixCall = (
  method: string,
  path: string,
  body?: unknown,
  options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal },
) => Promise<Result<MatrixAnswer, string>>;

/** A MatrixCall bound to a homeserver, a token ("" for none) and a default timeout. */
export function matrixCaller(baseUrl: string, token: string, defaultTimeoutMs: number): MatrixCall {
  const base = baseUrl.replace(/\/+$/, "");
  return async (method, path, body, options = {}) => {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? defaultTimeoutMs);
    const signal =
      options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    const headers: Record<string, string> =
      token === "" ? {} : { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      const init: RequestInit = { method, headers, signal };
      if (body !== undefined) init.body = JSON.stringify(body);
      const response = await fetch(`${base}${path}`, init);
      const text = await response.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return ok({ status: response.status, body: json });
    } catch (e) {
      const name = (e as Error).name;
      return err(
        name === "TimeoutError" ? "timeout" : name === "AbortError" ? "aborted" : "unreachable",
      );
    }
  };
}

/** A field of a JSON object body, if the body is an object. */
export function jsonField(body: unknown, key: string): unknown {
  return typeof body === "object" && body !== null
    ? (body as Record<string, unknown>)[key]
    : undefined;
}

/** "HTTP 403 M_FORBIDDEN" for a failed answer (errcode only, never the error text). */
export function describeFailure(answer: MatrixAnswer): string {
  const errcode = jsonField(answer.body, "errcode");
  return `HTTP ${answer.status}${typeof errcode === "string" ? ` ${errcode}` : ""}`;
}

/** Percent-encodes one path segment (room and user ids contain `!`, `@`, `:`). */
export const segment = encodeURIComponent;
