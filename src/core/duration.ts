/**
 * Human durations in config ("500ms", "10s", "5m", "24h", "7d") and byte sizes.
 */
import { err, ok, type Result } from "./result.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "10s" style durations into milliseconds. */
export function parseDuration(input: string): Result<number, string> {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(input.trim());
  if (!m) return err(`"${input}" is not a duration like 500ms, 10s, 5m, 24h or 7d`);
  return ok(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

/** Formats milliseconds back into the largest exact unit. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
