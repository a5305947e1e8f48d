import { describe, expect, it } from "vitest";
import { assessHit, type FreezeRule } from "./freeze.js";

const RULE: FreezeRule = { threshold: 3, windowMs: 1000, repeatGraceMs: 100 };

describe("assessHit", () => {
  it("freezes at the threshold", () => {
    const prior = [
      { reportId: "a", at: 0, counted: true },
      { reportId: "b", at: 10, counted: true },
    ];
    expect(assessHit(RULE, prior, { reportId: "c", at: 20 })).toEqual({
      counted: true,
      hitsInWindow: 3,
      freeze: true,
    });
  });

  it("counts a quick repeat on the same report once", () => {
    const prior = [
      { reportId: "a", at: 0, counted: true },
      { reportId: "b", at: 10, counted: true },
    ];
    expect(assessHit(RULE, prior, { reportId: "b", at: 50 })).toEqual({
      counted: false,
      hitsInWindow: 2,
      freeze: false,
    });
    expect(assessHit(RULE, prior, { reportId: "b", at: 200 }).freeze).toBe(true);
  });

  it("ignores hits outside the window and uncounted hits", () => {
    const prior = [
      { reportId: "a", at: 0, counted: true },
      { reportId: "b", at: 1500, counted: false },
    ];
    expect(assessHit(RULE, prior, { reportId: "c", at: 1600 })).toEqual({
      counted: true,
      hitsInWindow: 1,
      freeze: false,
    });
  });
});
