/**
 * Holds the source list in service and reloads it: on each source's interval, on SIGHUP
 * and on the admin command. A reload builds a new list off to the side — in a worker
 * thread, so lookups never wait for it — and swaps it in one assignment, so lookups never
 * see half a list. A failed source keeps its last good copy; only memory ever holds the list.
 */
import { SourceList } from "../core/source-list.js";
import { mergeOffThread } from "./off-thread.js";
import type { ListSource } from "./sources.js";

/** What the holder reports (to logs and metrics); never list content. */
export interface ListEvents {
  loaded(source: string, stats: { entries: number; skipped: number; ms: number }): void;
  unchanged(source: string): void;
  failed(source: string, reason: string): void;
  swapped(entries: number, bytes: number): void;
}

/** The list in service and its reload machinery. */
export class ListHolder {
  private current = SourceList.empty();
  private readonly lastGood: (SourceList | undefined)[];
  private inFlight: Promise<void> | undefined;
  /** Counts swaps begun, so a slow merge never replaces a newer list. */
  private swaps = 0;
  private timers: NodeJS.Timeout[] = [];
  /** Sources whose fetch (read, decrypt, decode in a worker) is under way. */
  private readonly fetching = new Set<number>();
  /** Sources that changed during their fetch: fetched again right after. */
  private readonly changedMeanwhile = new Set<number>();

  constructor(
    private readonly sources: readonly ListSource[],
    private readonly events: ListEvents,
  ) {
    this.lastGood = sources.map(() => undefined);
  }

  /** The list lookups use right now. */
  get list(): SourceList {
    return this.current;
  }

  /** Whether every source has loaded at least once. */
  get ready(): boolean {
    return this.lastGood.every((l) => l !== undefined);
  }

  /** Reloads all sources; concurrent calls share one reload. */
  reloadAll(): Promise<void> {
    this.inFlight ??= this.reload(this.sources.map((_, i) => i)).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Starts the per-source refresh timers. A tick finding the source's last fetch still
   * under way is skipped: on a busy machine a fetch can outlast a short interval, and
   * stacking fetches (each a worker thread) would only slow every one of them down.
   */
  startTimers(runInBackground: (name: string, fn: () => Promise<void>) => void): void {
    this.timers = this.sources.map((source, i) =>
      setInterval(() => {
        if (this.fetching.has(i)) return;
        runInBackground(`reload ${source.label}`, () => this.reload([i]));
      }, source.refreshMs).unref(),
    );
    // Sources that change by themselves (policy rooms) are rebuilt on each change; one
    // change during a fetch makes one more fetch, never a pile.
    this.sources.forEach((source, i) =>
      source.watch?.(() => {
        if (this.fetching.has(i)) this.changedMeanwhile.add(i);
        else runInBackground(`reload ${source.label}`, () => this.reload([i]));
      }),
    );
  }

  /** Problems of sources that still serve (for `/ready`). */
  warnings(): string[] {
    return this.sources.flatMap((s) => s.warnings?.() ?? []);
  }

  /** Stops the timers and the sources' own background work. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.sources.map((s) => s.stop?.() ?? Promise.resolve()));
  }

  private async reload(indexes: readonly number[]): Promise<void> {
    let changed = false;
    for (let k = 0; k < indexes.length; k++) {
      const i = indexes[k] as number;
      const source = this.sources[i] as ListSource;
      const started = performance.now();
      this.fetching.add(i);
      const outcome = await source
        .fetch()
        .catch((e: unknown) => ({ ok: false as const, error: `unexpected ${(e as Error).name}` }))
        .finally(() => this.fetching.delete(i));
      if (this.changedMeanwhile.delete(i)) indexes = [...indexes, i];
      if (!outcome.ok) {
        this.events.failed(source.label, outcome.error);
        continue;
      }
      if (outcome.value.kind === "unchanged") {
        this.events.unchanged(source.label);
        continue;
      }
      this.lastGood[i] = outcome.value.list;
      changed = true;
      this.events.loaded(source.label, {
        entries: outcome.value.list.size,
        skipped: outcome.value.skipped,
        ms: Math.round(performance.now() - started),
      });
    }
    if (changed) await this.swap();
  }

  private async swap(): Promise<void> {
    const swap = ++this.swaps;
    const loaded = this.lastGood.filter((l): l is SourceList => l !== undefined);
    let merged: SourceList;
    if (loaded.length === 1) {
      merged = loaded[0] as SourceList;
    } else {
      const outcome = await mergeOffThread(loaded);
      if (!outcome.ok) {
        this.events.failed("merge of the sources", outcome.error);
        return;
      }
      merged = outcome.value;
    }
    if (swap !== this.swaps) return; // a later swap holds newer lists
    this.current = merged;
    this.events.swapped(merged.size, merged.byteSize());
  }
}
