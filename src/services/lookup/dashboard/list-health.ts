/**
 * What the provider's dashboard shows of the list: per source, when it last loaded, its
 * entry count, and its last failure; the list in service's size. Fed by the ListHolder's
 * events, which carry counts and reasons, never list content.
 */

/** One source's health. */
export interface SourceHealth {
  readonly source: string;
  readonly loadedAt: number | undefined;
  readonly entries: number | undefined;
  readonly skipped: number | undefined;
  readonly failedAt: number | undefined;
  readonly failure: string | undefined;
}

/** The list's health, as the ListHolder reports it. */
export class ListHealth {
  private readonly sources = new Map<string, SourceHealth>();
  private swappedAt: number | undefined;
  private entries = 0;
  private bytes = 0;

  constructor(
    names: readonly string[],
    private readonly now: () => number,
  ) {
    for (const source of names) this.sources.set(source, blank(source));
  }

  loaded(source: string, stats: { entries: number; skipped: number }): void {
    const known = this.sources.get(source) ?? blank(source);
    this.sources.set(source, {
      ...known,
      loadedAt: this.now(),
      entries: stats.entries,
      skipped: stats.skipped,
    });
  }

  failed(source: string, reason: string): void {
    const known = this.sources.get(source) ?? blank(source);
    this.sources.set(source, { ...known, failedAt: this.now(), failure: reason });
  }

  swapped(entries: number, bytes: number): void {
    this.swappedAt = this.now();
    this.entries = entries;
    this.bytes = bytes;
  }

  /** Every source, and the list in service. */
  snapshot() {
    return {
      sources: [...this.sources.values()],
      swappedAt: this.swappedAt,
      entries: this.entries,
      bytes: this.bytes,
    };
  }
}

function blank(source: string): SourceHealth {
  return {
    source,
    loadedAt: undefined,
    entries: undefined,
    skipped: undefined,
    failedAt: undefined,
    failure: undefined,
  };
}
