/**
 * Field builders shared by the sections of the config schema (schema.ts, guard-schema.ts,
 * directory-schema.ts), so each section can live in its own file without import cycles.
 */
import { z } from "zod";
import { parseDuration } from "../core/duration.js";

/**
 * A duration such as "10s", "5m", "7d". Kept as validated text in the config (zod drops
 * defaults from the generated docs around transforms); read it with `durationMs`.
 */
export const duration = (fallback: string, description: string) =>
  z
    .string()
    .refine((text) => parseDuration(text).ok, {
      message: "must be a duration like 500ms, 10s, 5m, 24h or 7d",
    })
    .default(fallback)
    .describe(description);

/** Milliseconds of a duration the schema has validated. */
export function durationMs(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(`unvalidated duration ${text}`);
  return parsed.value;
}

/** host:port, IPv6 in brackets. */
export const listenAddress = (fallback: string, description: string) =>
  z
    .string()
    .regex(
      /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
      "must be host:port, e.g. 127.0.0.1:8480",
    )
    .default(fallback)
    .describe(description);

/** Language tag (RFC 5646, `_` allowed for `-` as MSC4176 does) → message text. */
export const messageTexts = () =>
  z.record(
    z.string().regex(/^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$/, "must be a language tag"),
    z.string().min(1).max(1000),
  );

/** {@link messageTexts} with an English default. */
export const translations = (english: string, description: string) =>
  messageTexts().default({ en: english }).describe(description);
