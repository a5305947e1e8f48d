/**
 * Request quotas as sliding-window counters (the "sliding log approximated by two fixed
 * windows" technique): estimate = previous window × (share of it still inside the sliding
 * window) + current window. Fixed windows make counts easy to add up across processes
 * (see `QuotaSync` in the lookup service), which a token bucket would not.
 */

/** A quota: at most `limit` requests per `windowMs`. */
export interface Quota {
  readonly limit: number;
  readonly windowMs: number;
}

/** The verdict of {@link SlidingWindowLimiter.consume}. */
export type QuotaVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

interface Counter {
  start: number; // start of the current fixed window
  current: number; // requests known in the current window (all processes)
  previous: number; // requests in the window before it
  pending: number; // our own requests not yet shared with other processes
}

/** One pending delta to share: `delta` more requests for `key` in the window at `windowStart`. */
export interface QuotaDelta {
  readonly key: string;
  readonly windowStart: number;
  readonly delta: number;
}

/** A sliding-window request limiter over many keys. Pure: the caller passes the time. */
export class SlidingWindowLimiter {
  private readonly counters = new Map<string, Counter>();

  constructor(readonly quota: Quota) {}

  /** Counts `cost` requests for `key` at `now` unless they would exceed the quota. */
  consume(key: string, now: number, cost = 1): QuotaVerdict {
    const verdict = this.check(key, now, cost);
    if (verdict.allowed) {
      const counter = this.roll(key, now);
      counter.current += cost;
      counter.pending += cost;
    }
    return verdict;
  }

  /** The sliding-window estimate of `key`'s requests at `now` (what the quota is checked against). */
  estimate(key: string, now: number): number {
    const counter = this.counters.get(key);
    if (counter === undefined) return 0;
    const { windowMs } = this.quota;
    const elapsed = now - counter.start;
    if (elapsed >= 2 * windowMs) return 0;
    if (elapsed >= windowMs) return counter.current * ((2 * windowMs - elapsed) / windowMs);
    return counter.previous * ((windowMs - elapsed) / windowMs) + counter.current;
  }

  /** Whether `cost` more requests for `key` would be allowed at `now`, without counting them. */
  check(key: string, now: number, cost = 1): QuotaVerdict {
    const { limit, windowMs } = this.quota;
    const counter = this.roll(key, now);
    const elapsed = now - counter.start;
    const estimate = counter.previous * ((windowMs - elapsed) / windowMs) + counter.current;
    if (estimate + cost <= limit) return { allowed: true };
    // Wait until enough of the previous window slides out, or the next window starts.
    const retryAfterMs =
      counter.previous > 0 && counter.current < limit
        ? Math.ceil(((estimate + cost - limit) / counter.previous) * windowMs)
        : windowMs - elapsed;
    return { allowed: false, retryAfterMs: Math.max(1, Math.min(retryAfterMs, windowMs)) };
  }

  /**
   * Takes the requests counted since the last call, to share them with other processes.
   * With `minCount`, only of keys whose current window has reached that count (this
   * process's requests plus totals learned from others); the rest stay pending, to be
   * shared in full once they reach it.
   */
  drainPending(minCount = 0): QuotaDelta[] {
    const out: QuotaDelta[] = [];
    for (const [key, counter] of this.counters) {
      if (counter.pending === 0 || counter.current < minCount) continue;
      out.push({ key, windowStart: counter.start, delta: counter.pending });
      counter.pending = 0;
    }
    return out;
  }

  /**
   * Records the shared total of a key's window (all processes, our drained requests
   * included). Creates the key if this process has not seen it yet.
   */
  applyTotal(key: string, windowStart: number, total: number, now: number): void {
    const counter = this.roll(key, now);
    if (counter.start === windowStart) {
      counter.current = Math.max(counter.current, total + counter.pending);
    } else if (counter.start - windowStart === this.quota.windowMs) {
      counter.previous = Math.max(counter.previous, total);
    }
  }

  /** Forgets keys idle for two windows, so memory stays bounded. */
  prune(now: number): void {
    for (const [key, counter] of this.counters) {
      if (now - counter.start >= 2 * this.quota.windowMs) this.counters.delete(key);
    }
  }

  /** Number of keys tracked. */
  get trackedKeys(): number {
    return this.counters.size;
  }

  private roll(key: string, now: number): Counter {
    const { windowMs } = this.quota;
    const start = now - (now % windowMs);
    let counter = this.counters.get(key);
    if (!counter) {
      counter = { start, current: 0, previous: 0, pending: 0 };
      this.counters.set(key, counter);
    } else if (counter.start !== start) {
      counter.previous = start - counter.start === windowMs ? counter.current : 0;
      counter.current = 0;
      counter.pending = 0; // unshared requests of a past window no longer matter
      counter.start = start;
    }
    return counter;
  }
}
