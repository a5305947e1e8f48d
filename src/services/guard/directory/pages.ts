/**
 * The shapes the directory proxy reads and rewrites, as plain functions: the `server`
 * and `limit` of a request, the request for the page after a short one, and the
 * replacement of an untrusted remote server's error (MSC4228, "Security considerations":
 * remote error text is untrusted, an XSS risk, and a server may replace it).
 */
import { MSC4176_MESSAGES } from "../gates/messages.js";
import { MSC4387_HARMS } from "./search-redirect.js";

/** Synapse answers at most this many rooms per page (MAX_PUBLIC_ROOMS_IN_RESPONSE). */
export const MAX_PAGE = 100;

/** A JSON object, or undefined. */
export function jsonObject(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The query of a raw request URL. */
export function queryOf(rawUrl: string): URLSearchParams {
  const at = rawUrl.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : rawUrl.slice(at + 1));
}

/** The rooms a client asked for, as Synapse counts them (absent or 0: its cap of 100). */
export function requestedLimit(
  method: string,
  rawUrl: string,
  body: Record<string, unknown> | undefined,
): number {
  const raw = method === "POST" ? body?.["limit"] : queryOf(rawUrl).get("limit");
  // Only numbers and numeric strings: Number() of an object such as {"toString": 0}
  // throws, and a client's body is anything it likes.
  const limit = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : 0;
  if (!Number.isInteger(limit) || limit <= 0) return MAX_PAGE;
  return Math.min(limit, MAX_PAGE);
}

/** The request for the `limit` rooms after `since`, otherwise as the client asked. */
export function followingPage(
  method: string,
  rawUrl: string,
  body: Record<string, unknown> | undefined,
  since: string,
  limit: number,
): { rawUrl: string; body?: Buffer } {
  if (method === "POST") {
    return { rawUrl, body: Buffer.from(JSON.stringify({ ...body, since, limit })) };
  }
  const at = rawUrl.indexOf("?");
  const query = queryOf(rawUrl);
  query.set("since", since);
  query.set("limit", String(limit));
  return { rawUrl: `${at === -1 ? rawUrl : rawUrl.slice(0, at)}?${query.toString()}` };
}

/**
 * `rawUrl` with every `since` parameter replaced by `since` (or dropped when undefined);
 * every other parameter stays byte for byte as the client sent it.
 */
export function withSince(rawUrl: string, since: string | undefined): string {
  const at = rawUrl.indexOf("?");
  const path = at === -1 ? rawUrl : rawUrl.slice(0, at);
  const pairs = at === -1 ? [] : rawUrl.slice(at + 1).split("&");
  const kept = pairs.filter((pair) => {
    const key = pair.split("=", 1)[0] ?? "";
    return new URLSearchParams(`${key}=`).keys().next().value !== "since";
  });
  if (since !== undefined) kept.push(`since=${encodeURIComponent(since)}`);
  const query = kept.filter((pair) => pair !== "").join("&");
  return query === "" ? path : `${path}?${query}`;
}

const ERRCODE = /^[A-Za-z0-9_.]{1,128}$/;
const HARM = /^[a-z0-9_.-]{1,255}$/;

/**
 * An error body with the remote server's text replaced by ours: the errcode stays when it
 * looks like one, harms stay when they look like harm ids, `retry_after_ms` and `expiry`
 * stay when numeric; every other field (HTML, links, translations) is dropped.
 */
export function replacedRemoteError(
  remote: Record<string, unknown> | undefined,
  error: string,
  texts: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const errcode = remote?.["errcode"];
  const out: Record<string, unknown> = {
    errcode: typeof errcode === "string" && ERRCODE.test(errcode) ? errcode : "M_UNKNOWN",
    error,
    messages: { ...texts },
    [MSC4176_MESSAGES]: { ...texts },
  };
  for (const key of ["harms", MSC4387_HARMS]) {
    const harms = remote?.[key];
    if (Array.isArray(harms))
      out[key] = harms.filter((h): h is string => typeof h === "string" && HARM.test(h));
  }
  for (const key of ["retry_after_ms", "expiry"]) {
    const value = remote?.[key];
    if (typeof value === "number" && Number.isFinite(value)) out[key] = value;
    else if (key === "expiry" && value === null) out[key] = null;
  }
  return out;
}
