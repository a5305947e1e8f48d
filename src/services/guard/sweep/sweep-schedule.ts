/**
 * When the guard sweeps: once at start, every `guard.sweep.interval`, and whenever the
 * lookup service's `list_version` changes (polled every 30 s). Sweeps never overlap: a
 * trigger during a sweep runs one more sweep after it. Sweeps run in the background, on
 * their own admin API calls, so no callback answer ever waits for one.
 */
import type { RunInBackground } from "../../../observability/background.js";
import type { LookupClient } from "../lookup/lookup-client.js";
import type { SweepReport } from "./sweep-report.js";

/** How often the list version is asked. */
export const LIST_VERSION_POLL_MS = 30_000;

/** What the schedule needs. */
export interface SweepScheduleDeps {
  /** One sweep; it ends early when `signal` is aborted. */
  readonly sweep: (signal: AbortSignal) => Promise<SweepReport>;
  readonly lookup: Pick<LookupClient, "listVersion">;
  readonly intervalMs: number;
  readonly pollMs?: number;
  readonly runInBackground: RunInBackground;
  /** Called with each finished sweep (alert, log, metrics). */
  readonly onReport: (report: SweepReport) => void;
}

/** Starts and stops the sweeps. */
export class SweepSchedule {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  /** The list version the last sweep started under. */
  private sweptVersion: string | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(private readonly deps: SweepScheduleDeps) {}

  /** Sweeps now, then on the interval and on list changes. */
  start(): void {
    const { intervalMs, pollMs = LIST_VERSION_POLL_MS, runInBackground } = this.deps;
    this.trigger();
    this.timers = [
      setInterval(() => this.trigger(), intervalMs),
      setInterval(() => runInBackground("list version poll", () => this.poll()), pollMs),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Stops the timers, ends a sweep under way at its next call and waits for that. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const timer of this.timers) clearInterval(timer);
    await this.running;
  }

  /** Asks the list version; a change sweeps again. */
  async poll(): Promise<void> {
    const version = await this.deps.lookup.listVersion();
    if (!version.ok || version.value === undefined) return;
    if (this.sweptVersion !== undefined && version.value !== this.sweptVersion) this.trigger();
    else this.sweptVersion ??= version.value;
  }

  /** Sweeps now, or once more after the sweep under way. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    this.deps.runInBackground("sweep", () => this.running ?? Promise.resolve());
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const version = await this.deps.lookup.listVersion();
      if (version.ok && version.value !== undefined) this.sweptVersion = version.value;
      this.deps.onReport(await this.deps.sweep(this.stopping.signal));
    } while (this.again && !this.stopped);
  }
}
