import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("durations", () => {
  it("parses and formats", () => {
    expect(parseDuration("500ms")).toEqual({ ok: true, value: 500 });
    expect(parseDuration("7d")).toEqual({ ok: true, value: 604_800_000 });
    expect(parseDuration("5 minutes").ok).toBe(false);
    expect(formatDuration(90_000)).toBe("90s");
    expect(formatDuration(3_600_000)).toBe("1h");
  });
});
