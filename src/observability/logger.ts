/**
 * Structured logs on stderr: JSON lines for machines, and readable coloured lines when
 * stderr is a terminal (an operator running `redlight demo` or `redlight lookup` by hand). Tokens, secrets and list entries are never passed to the
 * logger; the redaction below is a second line of defence for fields that must not leak
 * if someone logs a whole object by mistake.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import { PinoPretty } from "pino-pretty";
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

/** How log lines are written: `json` for machines, `pretty` for a person at a terminal. */
export type LogFormat = "json" | "pretty";

/** `pretty` when stderr is a terminal, `json` otherwise (pipes, files, journald, CI). */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stderr): LogFormat {
  return stream.isTTY === true ? "pretty" : "json";
}

/** The human-readable stream: one coloured line per entry, the service name in front. */
export function prettyStream(
  destination: number | NodeJS.WritableStream = 2,
  colorize = true,
): DestinationStream {
  return PinoPretty({
    destination,
    colorize,
    ignore: "pid,hostname,service,name",
    messageFormat: "[{service}] {msg}",
    translateTime: "SYS:HH:MM:ss",
    sync: true,
  });
}

/**
 * A logger writing to stderr — JSON lines, or readable lines when stderr is a terminal —
 * or to `destination` in tests. Redaction applies to both formats.
 */
export function createLogger(
  level: string,
  name: string,
  destination?: DestinationStream,
  format: LogFormat = defaultLogFormat(),
): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      // Credentials inside URLs (userinfo, query values) in any field: src/observability/redact.ts.
      formatters: { log: (fields) => redactUrlsDeep(fields) },
      base: { service: name },
    },
    destination ??
      (format === "pretty" ? prettyStream() : pino.destination({ fd: 2, sync: false })),
  );
}
