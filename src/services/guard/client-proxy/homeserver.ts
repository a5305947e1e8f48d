/**
 * What the client-API proxy sends to the homeserver, and how it answers a client itself.
 * One port (`Homeserver`) for every call — the user's whoami, alias resolution, the
 * forwarded request — so the proxy's logic is tested with a plain function and runs in
 * production over `callUpstream` (../directory/upstream.ts).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Result } from "../../../core/result.js";
import { OWN_ANSWER_HEADERS, type ProxyAnswer } from "../directory/directory-service.js";
import type { UpstreamAnswer, UpstreamFailure } from "../directory/upstream.js";

/** One call to the homeserver's client-server API. */
export interface HomeserverRequest {
  readonly method: string;
  /** Path and query, e.g. `/_matrix/client/v3/account/whoami`. */
  readonly path: string;
  /** End-to-end headers to send (see `forwardedHeaders`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly signal?: AbortSignal;
}

/** Calls the homeserver once; failures are values. */
export type Homeserver = (
  request: HomeserverRequest,
) => Promise<Result<UpstreamAnswer, UpstreamFailure>>;

/** One client request on a proxied path, as received. */
export interface ClientRequest {
  readonly method: string;
  /** Path and query exactly as received. */
  readonly rawUrl: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer | undefined;
  readonly peer: string | undefined;
  /** Aborted when the client goes away. */
  readonly signal?: AbortSignal;
}

/** An answer the proxy writes itself (a Matrix error), with Synapse's CORS headers. */
export function ownAnswer(status: number, body: Readonly<Record<string, unknown>>): ProxyAnswer {
  return { status, headers: OWN_ANSWER_HEADERS, body: JSON.stringify(body) };
}

/** The homeserver's answer, relayed as it came. */
export function relayed(answer: UpstreamAnswer): ProxyAnswer {
  return { status: answer.status, headers: answer.headers, body: answer.body };
}

/** The answer when the homeserver gave none: 504 on a time-out, else 502. */
export function homeserverFailed(failure: UpstreamFailure): ProxyAnswer {
  return ownAnswer(failure === "timeout" ? 504 : 502, {
    errcode: "M_UNKNOWN",
    error: "The homeserver did not answer.",
  });
}

/** The query string of a raw URL, without the `?` ("" when none). */
export function queryOf(rawUrl: string): string {
  const at = rawUrl.indexOf("?");
  return at < 0 ? "" : rawUrl.slice(at + 1);
}
