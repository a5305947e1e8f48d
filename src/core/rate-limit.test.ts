import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "./rate-limit.js";

describe("SlidingWindowLimiter", () => {
  it("allows up to the limit per window, then answers when to retry", () => {
    const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) expect(limiter.consume("k", 1000 + i).allowed).toBe(true);
    const denied = limiter.consume("k", 2000);
    expect(denied.allowed).toBe(false);
    if (!denied.allowed) expect(denied.retryAfterMs).toBe(58_000);
    expect(limiter.consume("other", 2000).allowed).toBe(true);
  });

  it("slides: the previous window weighs less as time passes", () => {
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 1000 });
    for (let i = 0; i < 10; i++) limiter.consume("k", 500);
    // Next window, 10% in: previous counts 9 → one more allowed, then denied.
    expect(limiter.consume("k", 1100).allowed).toBe(true);
    expect(limiter.consume("k", 1100).allowed).toBe(false);
    // 60% in: previous counts 4.
    let allowed = 0;
    while (limiter.consume("k", 1600).allowed) allowed++;
    expect(allowed).toBe(5);
  });

  it("shares counts: drained deltas and applied totals from other processes", () => {
    const limiter = new SlidingWindowLimiter({ limit: 5, windowMs: 60_000 });
    limiter.consume("k", 0);
    limiter.consume("k", 1);
    expect(limiter.drainPending()).toEqual([{ key: "k", windowStart: 0, delta: 2 }]);
    expect(limiter.drainPending()).toEqual([]);
    limiter.applyTotal("k", 0, 5, 2); // another process used three
    expect(limiter.consume("k", 2).allowed).toBe(false);
  });

  it("shares only keys that reached a count when asked, keeping the rest pending", () => {
    const limiter = new SlidingWindowLimiter({ limit: 12, windowMs: 60_000 });
    limiter.consume("quiet", 0);
    for (let i = 0; i < 3; i++) limiter.consume("busy", i);
    expect(limiter.drainPending(3)).toEqual([{ key: "busy", windowStart: 0, delta: 3 }]);
    limiter.consume("quiet", 10);
    limiter.consume("quiet", 11);
    // Reaching the count, a key shares everything counted so far, not only the last ones.
    expect(limiter.drainPending(3)).toEqual([{ key: "quiet", windowStart: 0, delta: 3 }]);
    limiter.consume("other", 12);
    limiter.applyTotal("other", 0, 5, 12); // busy elsewhere: shared at once
    expect(limiter.drainPending(3)).toEqual([{ key: "other", windowStart: 0, delta: 1 }]);
  });

  it("learns keys it has not seen from shared totals, current and previous window", () => {
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 1000 });
    limiter.applyTotal("new", 1000, 9, 1500);
    expect(limiter.consume("new", 1500).allowed).toBe(true);
    expect(limiter.consume("new", 1500).allowed).toBe(false);
    limiter.applyTotal("old", 0, 10, 1100); // previous window was full: 90% still weighs in
    expect(limiter.consume("old", 1100).allowed).toBe(true);
    expect(limiter.consume("old", 1100).allowed).toBe(false);
  });

  it("prunes idle keys", () => {
    const limiter = new SlidingWindowLimiter({ limit: 5, windowMs: 1000 });
    limiter.consume("a", 0);
    limiter.consume("b", 1500);
    limiter.prune(2100);
    expect(limiter.trackedKeys).toBe(1);
  });
});
