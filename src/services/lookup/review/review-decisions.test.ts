import { describe, expect, it } from "vitest";
import { parseReviewTags } from "./review-decisions.js";

describe("parseReviewTags", () => {
  it("takes distinct comma-separated list tags", () => {
    expect(parseReviewTags(" csam, spam,csam ,")).toEqual({ ok: true, value: ["csam", "spam"] });
  });

  it("refuses no tags and tags outside [a-z0-9_.-]", () => {
    for (const text of ["", " , ", "CSAM", "spam,<b>", "x".repeat(65)])
      expect(parseReviewTags(text).ok, text).toBe(false);
  });
});
