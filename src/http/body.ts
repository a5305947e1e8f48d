/**
 * Decoding untrusted request bodies. Fastify hands us raw bytes for every content type
 * (clients of the old prototype send JSON without a content type), and we decide here what
 * is JSON, so a parser's message that might quote the input never reaches a response.
 */
import { err, ok, type Result } from "../core/result.js";

/** Parses a raw body as a JSON object. */
export function jsonObjectBody(
  raw: unknown,
): Result<Record<string, unknown>, "not_json" | "not_object"> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return err("not_json");
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch {
    return err("not_json");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return err("not_object");
  return ok(value as Record<string, unknown>);
}

/** The bearer token of an Authorization header, if it has one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
