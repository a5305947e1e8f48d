/**
 * Forwarding one directory request to the homeserver with node's fetch (undici): the
 * method, the path and query exactly as received (a federation X-Matrix signature covers
 * them), the end-to-end headers (Authorization and X-Matrix included) and the body bytes.
 * Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded in either direction.
 *
 * The answer is read whole, up to a size limit: the guard must see a page to filter it,
 * and Synapse pages hold at most 100 rooms. Every failure is a value (`timeout`,
 * `unreachable`, `too_large`, `aborted`), never a throw.
 */
import type { IncomingHttpHeaders } from "node:http";
import { err, ok, type Result } from "../../../core/result.js";

/** Headers that describe one connection, not the message (plus what fetch sets itself). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  // Set by fetch for the new connection and body:
  "host",
  "content-length",
  "expect",
]);

/** A request as the homeserver is to receive it. */
export interface UpstreamRequest {
  readonly method: string;
  /** Absolute URL: the upstream base followed by the path and query as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

/** The homeserver's answer, body read whole. */
export interface UpstreamAnswer {
  readonly status: number;
  /** End-to-end response headers, without content-length and content-encoding. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** Why no answer came. */
export type UpstreamFailure = "timeout" | "unreachable" | "too_large" | "aborted";

/** Limits of one call. */
export interface UpstreamLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Aborts the call (the client went away). */
  readonly signal?: AbortSignal;
}

/** Names listed in a Connection header are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  return new Set(
    text
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ""),
  );
}

/**
 * The headers to forward: end-to-end ones unchanged, the client's address appended to
 * X-Forwarded-For (Synapse behind `x_forwarded: true` takes the first entry, the
 * original client, set by the reverse proxy in front), and `accept-encoding: identity`
 * so the page arrives uncompressed for filtering.
 */
export function forwardedHeaders(
  incoming: IncomingHttpHeaders,
  peer: string | undefined,
): Record<string, string> {
  const drop = connectionTokens(incoming.connection);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  if (peer !== undefined) {
    const prior = out["x-forwarded-for"];
    out["x-forwarded-for"] = prior === undefined ? peer : `${prior}, ${peer}`;
  }
  out["accept-encoding"] = "identity";
  return out;
}

/** End-to-end response headers (fetch already decoded any content-encoding). */
function answerHeaders(headers: Headers): [string, string][] {
  const drop = connectionTokens(headers.get("connection") ?? undefined);
  const out: [string, string][] = [];
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || drop.has(name) || name === "content-encoding") return;
    if (name === "set-cookie") return; // added one by one below
    out.push([name, value]);
  });
  for (const cookie of headers.getSetCookie()) out.push(["set-cookie", cookie]);
  return out;
}

/** Calls the homeserver once. */
export async function callUpstream(
  request: UpstreamRequest,
  limits: UpstreamLimits,
): Promise<Result<UpstreamAnswer, UpstreamFailure>> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal === undefined ? timeout : AbortSignal.any([timeout, limits.signal]);
  const failure = (): UpstreamFailure =>
    timeout.aborted ? "timeout" : signal.aborted ? "aborted" : "unreachable";
  let response: Response;
  try {
    const init: RequestInit = {
      method: request.method,
      headers: request.headers,
      signal,
      redirect: "manual", // a redirect is the client's to follow, as with any proxy
    };
    if (request.body !== undefined && request.body.length > 0) init.body = request.body;
    response = await fetch(request.url, init);
  } catch {
    return err(failure());
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return err("too_large");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (response.body !== null) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > limits.maxBytes) {
          await response.body.cancel().catch(() => undefined);
          return err("too_large");
        }
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch {
    return err(failure());
  }
  return ok({
    status: response.status,
    headers: answerHeaders(response.headers),
    body: Buffer.concat(chunks),
  });
}
