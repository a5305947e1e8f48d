/**
 * Watches the lookup service through the guard's own calls: a failed call marks it
 * degraded, the next answered one marks it recovered. Each change is reported once (the
 * alert room hears "degraded" and "recovered", not every failed request). The gates count
 * the decisions their fail modes make themselves. While degraded and idle, `probe()`
 * asks a synthetic question, so recovery is noticed even when nobody joins a room.
 */
import type { Ljs4Hash, RoomId } from "../../../core/ids.js";
import type { Result } from "../../../core/result.js";
import { isOutage } from "../../../http/transport-failure.js";
import {
  describeLookupFailure,
  type CheckResult,
  type LookupClient,
  type LookupFailure,
  type LookupResult,
} from "./lookup-client.js";

/** A change in the lookup service's health. */
export type LookupHealthEvent =
  | { readonly kind: "lookup_degraded"; readonly reason: string }
  | { readonly kind: "lookup_recovered"; readonly downMs: number };

/** What the monitor reports to. */
export interface LookupMonitorDeps {
  readonly now: () => number;
  readonly onHealth: (event: LookupHealthEvent) => void;
  /** Called after every request with its operation, outcome kind and duration. */
  readonly observe?: (operation: string, outcome: string, seconds: number) => void;
  /** What `probe()` asks about: a synthetic room and pseudonym, never a real user's. */
  readonly probeRoom: RoomId;
  readonly probeUser: Ljs4Hash;
}

/** A LookupClient that tracks the health of the one it wraps. */
export class LookupMonitor implements LookupClient {
  private degradedSince: number | undefined;
  /** performance.now() when the outage was noticed, and when the last answer came. */
  private degradedAt = -Infinity;
  private answeredAt = -Infinity;

  constructor(
    private readonly inner: LookupClient,
    private readonly deps: LookupMonitorDeps,
  ) {}

  /** Whether the last call failed. */
  get degraded(): boolean {
    return this.degradedSince !== undefined;
  }

  lookup(room: RoomId, user: Ljs4Hash): Promise<LookupResult> {
    return this.watched("lookup", () => this.inner.lookup(room, user));
  }

  check(rooms: readonly RoomId[]): Promise<CheckResult> {
    return this.watched("check", () => this.inner.check(rooms));
  }

  /** Runs one lookup or check and settles the health by its outcome. */
  private async watched<R extends LookupResult | CheckResult>(
    operation: string,
    call: () => Promise<R>,
  ): Promise<R> {
    const started = performance.now();
    const result = await call();
    this.settle(
      operation,
      result.kind,
      started,
      result.kind === "unavailable" ? result.failure : undefined,
    );
    return result;
  }

  async unfreeze(user: Ljs4Hash): Promise<Result<boolean, LookupFailure>> {
    const started = performance.now();
    const result = await this.inner.unfreeze(user);
    // A refused unfreeze (e.g. 400) is an answer; only an outage means degraded.
    const down = !result.ok && isOutage(result.error) ? result.error : undefined;
    this.settle("unfreeze", result.ok ? "ok" : "failed", started, down);
    return result;
  }

  /** The list version; a failure here says nothing the gates' own calls would not. */
  listVersion(): Promise<Result<string | undefined, LookupFailure>> {
    return this.inner.listVersion();
  }

  /** While degraded, asks the synthetic question once (to notice recovery). */
  async probe(): Promise<void> {
    if (this.degraded) await this.lookup(this.deps.probeRoom, this.deps.probeUser);
  }

  private settle(
    operation: string,
    outcome: string,
    started: number,
    failure: LookupFailure | undefined,
  ): void {
    const ended = performance.now();
    this.deps.observe?.(operation, outcome, (ended - started) / 1000);
    const now = this.deps.now();
    if (failure !== undefined) {
      // A request sent before the last answer came back says nothing about now (it timed
      // out while the service was recovering): no new outage, no flapping alerts.
      if (started < this.answeredAt) return;
      if (this.degradedSince === undefined) {
        this.degradedAt = ended;
        this.degradedSince = now;
        this.deps.onHealth({ kind: "lookup_degraded", reason: describeLookupFailure(failure) });
      }
      return;
    }
    // Likewise an answer to a request sent before the outage was noticed.
    if (started < this.degradedAt) return;
    this.answeredAt = Math.max(this.answeredAt, ended);
    if (this.degradedSince !== undefined) {
      const event: LookupHealthEvent = {
        kind: "lookup_recovered",
        downMs: now - this.degradedSince,
      };
      this.degradedSince = undefined;
      this.deps.onHealth(event);
    }
  }
}
