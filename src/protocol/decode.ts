/**
 * Decoding untrusted JSON at the edge, once, with a zod schema into typed (and branded)
 * values. A body that does not decode becomes a `400` ApiError whose text names the field
 * and the rule — never the input, which may be hostile or secret.
 */
import type { z } from "zod";
import { apiError, type ApiError } from "../core/errors.js";
import { err, ok, type Result } from "../core/result.js";

/** Parses raw bytes as JSON (the body of a request Fastify hands over unparsed). */
export function parseJsonBytes(raw: unknown): Result<unknown, ApiError> {
  if (!Buffer.isBuffer(raw) || raw.length === 0)
    return err(apiError(400, "M_NOT_JSON", "the body must be valid JSON"));
  try {
    return ok(JSON.parse(raw.toString("utf8")) as unknown);
  } catch {
    return err(apiError(400, "M_NOT_JSON", "the body must be valid JSON"));
  }
}

/** Decodes an already parsed JSON value with `schema`. */
export function decodeValue<S extends z.ZodType>(
  schema: S,
  value: unknown,
): Result<z.output<S>, ApiError> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return err(apiError(400, "M_BAD_JSON", "the body must be a JSON object"));
  const parsed = schema.safeParse(value);
  if (parsed.success) return ok(parsed.data);
  return err(apiError(400, "M_BAD_JSON", describeIssue(parsed.error.issues[0])));
}

/** Parses and decodes a raw request body with `schema`. */
export function decodeBody<S extends z.ZodType>(
  schema: S,
  raw: unknown,
): Result<z.output<S>, ApiError> {
  const json = parseJsonBytes(raw);
  return json.ok ? decodeValue(schema, json.value) : json;
}

/** `field.path: message`, from the issue's path and its (input-free) message. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "the body does not match the protocol";
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".");
  const message = issue.code === "invalid_type" ? `must be ${issue.expected}` : issue.message;
  return path === "" ? message : `${path.replace(/\.\[/g, "[")} ${message}`;
}
