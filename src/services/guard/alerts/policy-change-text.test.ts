import { describe, expect, it } from "vitest";
import { policyChangeText } from "./policy-change-text.js";

const zero = () => ({ ban: 0, takedown: 0, other: 0 });

describe("policyChangeText", () => {
  it("tells added and removed rules and skips, in counts only", () => {
    const text = policyChangeText({
      rules: { room: { ...zero(), takedown: 12, ban: -1 }, user: zero(), server: zero() },
      skipped: { glob: 3 },
    });
    expect(text?.plain).toBe(
      "policy rooms: 1 room bans removed, 12 room takedowns added; 3 rules skipped: 3 glob",
    );
  });

  it("says nothing when nothing changed", () => {
    expect(
      policyChangeText({ rules: { room: zero(), user: zero(), server: zero() }, skipped: {} }),
    ).toBeUndefined();
  });
});
