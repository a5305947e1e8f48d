/**
 * Structured JSON logs on stderr. Tokens, secrets and list entries are never passed to the
 * logger; the redaction below is a second line of defence for fields that must not leak
 * if someone logs a whole object by mistake.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { redactUrlsDeep } from "./redact.js";

export type { Logger } from "pino";

/** Field paths that are always censored. */
export const REDACTED_PATHS = [
  "token",
  "api_token",
  "authorization",
  "*.token",
  "*.api_token",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "password",
  "secret",
  "access_token",
  "*.password",
  "*.secret",
  "*.access_token",
  "room_id",
  "room_id_hash",
  "*.room_id",
  "*.room_id_hash",
];

/** A logger writing JSON lines to stderr (or to `destination` in tests). */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      // Credentials inside URLs (userinfo, query values) in any field: src/observability/redact.ts.
      formatters: { log: (fields) => redactUrlsDeep(fields) },
      base: { service: name },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
