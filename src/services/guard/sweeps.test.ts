import { describe, expect, it } from "vitest";
import { sweepRecord } from "./sweeps.js";

describe("sweep actions in the decisions log", () => {
  it("records each action done or failed as automated, and nothing for a room gone", () => {
    expect(sweepRecord("reject_invite", "done")).toEqual({
      action: "sweep",
      outcome: "done",
      reason: "reject_invite",
      automated: true,
    });
    expect(sweepRecord("quarantine_media", "failed")).toMatchObject({
      outcome: "failed",
      reason: "quarantine_media",
    });
    expect(sweepRecord("evict", "gone")).toBeUndefined();
  });
});
