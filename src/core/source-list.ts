/**
 * The source list in memory: a compact, immutable hash table from LJS-4 room hash to
 * (report id, tags). Built once per load and swapped atomically, so lookups never wait
 * for a reload and never see a half-built list.
 *
 * Layout (why: a million entries must fit in ~100 bytes each, a Map<string, object>
 * costs several times that): hashes packed in one Buffer, report ids in another with an
 * offset table, tags interned as "tag sets", and an open-addressing slot table indexed by
 * the hash's first four bytes (already uniformly random, being SHA-256 output).
 */
import type { Ljs4Hash } from "./ids.js";

/** One listed room as loaded from a source. Plain room ids never get this far. */
export interface ListedRoom {
  /** The LJS-4 hash (32 raw bytes or 64 hex). */
  readonly hash: Buffer | Ljs4Hash;
  readonly reportId: string;
  readonly tags: readonly string[];
}

/** What a lookup learns about a listed room. */
export interface ListMatch {
  readonly reportId: string;
  /** The room's tags that the asking client filters. */
  readonly tags: readonly string[];
}

const HASH_BYTES = 32;

/** An immutable, compact source list. Build with {@link SourceListBuilder}. */
export class SourceList {
  private readonly filterCache = new Map<string, Uint8Array>();

  /** @internal use SourceListBuilder */
  constructor(
    private readonly keys: Buffer,
    private readonly tagSetOf: Uint32Array,
    private readonly reportOffsets: Uint32Array,
    private readonly reports: Buffer,
    private readonly tagSets: readonly (readonly string[])[],
    private readonly slots: Uint32Array,
    readonly size: number,
  ) {}

  /** An empty list (before the first load). */
  static empty(): SourceList {
    return new SourceListBuilder().build();
  }

  /** Every distinct tag in the list, sorted. */
  tags(): string[] {
    return [...new Set(this.tagSets.flat())].sort();
  }

  /**
   * Finds a room by hash and answers only if one of its tags is in `filteredTags`.
   * `filteredTags` must be the caller's effective tag set; it is memoised per list.
   */
  match(hash: Ljs4Hash, filteredTags: ReadonlySet<string>): ListMatch | undefined {
    const index = this.indexOf(Buffer.from(hash, "hex"));
    if (index < 0) return undefined;
    const tagSet = this.tagSetOf[index] as number;
    if (this.tagSetFilter(filteredTags)[tagSet] !== 1) return undefined;
    const start = this.reportOffsets[index] as number;
    const end = this.reportOffsets[index + 1] as number;
    return {
      reportId: this.reports.toString("utf8", start, end),
      tags: (this.tagSets[tagSet] as readonly string[]).filter((t) => filteredTags.has(t)),
    };
  }

  /** Whether the hash is listed at all, whatever its tags. */
  has(hash: Ljs4Hash): boolean {
    return this.indexOf(Buffer.from(hash, "hex")) >= 0;
  }

  /** Every entry, to merge several sources into one list. */
  *entries(): Generator<ListedRoom> {
    for (let i = 0; i < this.size; i++) {
      yield {
        hash: this.keys.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES),
        reportId: this.reports.toString("utf8", this.reportOffsets[i], this.reportOffsets[i + 1]),
        tags: this.tagSets[this.tagSetOf[i] as number] as readonly string[],
      };
    }
  }

  /** Approximate bytes held by this list (for the list-size metric and benchmarks). */
  byteSize(): number {
    return (
      this.keys.byteLength +
      this.tagSetOf.byteLength +
      this.reportOffsets.byteLength +
      this.reports.byteLength +
      this.slots.byteLength
    );
  }

  private indexOf(key: Buffer): number {
    if (key.length !== HASH_BYTES || this.size === 0) return -1;
    const mask = this.slots.length - 1;
    for (let slot = key.readUInt32LE(0) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      const at = (entry - 1) * HASH_BYTES;
      if (key.compare(this.keys, at, at + HASH_BYTES) === 0) return entry - 1;
    }
  }

  private tagSetFilter(filteredTags: ReadonlySet<string>): Uint8Array {
    const cacheKey = [...filteredTags].sort().join("\n");
    let filter = this.filterCache.get(cacheKey);
    if (!filter) {
      filter = Uint8Array.from(this.tagSets, (set) =>
        set.some((t) => filteredTags.has(t)) ? 1 : 0,
      );
      this.filterCache.set(cacheKey, filter);
    }
    return filter;
  }
}

/**
 * Accumulates listed rooms and builds a {@link SourceList}. A room listed twice keeps its
 * first report id and the union of its tags.
 */
export class SourceListBuilder {
  private keys = Buffer.alloc(HASH_BYTES * 1024);
  private tagSetOf = new Uint32Array(1024);
  private reportOffsets = new Uint32Array(1025);
  private reports = Buffer.alloc(64 * 1024);
  private readonly tagSets: string[][] = [];
  private readonly tagSetIds = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private count = 0;

  /** Number of distinct rooms added so far. */
  get size(): number {
    return this.count;
  }

  /** Adds one listed room. */
  add(room: ListedRoom): void {
    const key = typeof room.hash === "string" ? Buffer.from(room.hash, "hex") : room.hash;
    if (key.length !== HASH_BYTES) throw new Error("listed room hash must be 32 bytes");
    const keyText = key.toString("latin1");
    const existing = this.seen.get(keyText);
    if (existing !== undefined) {
      const merged = [
        ...new Set([...(this.tagSets[this.tagSetOf[existing] as number] ?? []), ...room.tags]),
      ];
      this.tagSetOf[existing] = this.internTags(merged);
      return;
    }
    this.ensureCapacity(Buffer.byteLength(room.reportId, "utf8"));
    const index = this.count++;
    key.copy(this.keys, index * HASH_BYTES);
    this.tagSetOf[index] = this.internTags(room.tags);
    const start = this.reportOffsets[index] as number;
    const written = this.reports.write(room.reportId, start, "utf8");
    this.reportOffsets[index + 1] = start + written;
    this.seen.set(keyText, index);
  }

  /** Freezes the accumulated rooms into a compact, immutable list. */
  build(): SourceList {
    const n = this.count;
    let capacity = 2;
    while (capacity < n * 2) capacity *= 2; // load factor ≤ 0.5: short probe runs
    const slots = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < n; i++) {
      let slot = this.keys.readUInt32LE(i * HASH_BYTES) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = i + 1;
    }
    const reportEnd = this.reportOffsets[n] as number;
    return new SourceList(
      Buffer.from(this.keys.subarray(0, n * HASH_BYTES)),
      this.tagSetOf.slice(0, n),
      this.reportOffsets.slice(0, n + 1),
      Buffer.from(this.reports.subarray(0, reportEnd)),
      this.tagSets,
      slots,
      n,
    );
  }

  private internTags(tags: readonly string[]): number {
    const sorted = [...new Set(tags)].sort();
    const key = sorted.join("\n");
    let id = this.tagSetIds.get(key);
    if (id === undefined) {
      id = this.tagSets.length;
      this.tagSets.push(sorted);
      this.tagSetIds.set(key, id);
    }
    return id;
  }

  private ensureCapacity(reportBytes: number): void {
    if ((this.count + 1) * HASH_BYTES > this.keys.length) {
      const grown = Buffer.alloc(this.keys.length * 2);
      this.keys.copy(grown);
      this.keys = grown;
      const tagSetOf = new Uint32Array(this.tagSetOf.length * 2);
      tagSetOf.set(this.tagSetOf);
      this.tagSetOf = tagSetOf;
      const offsets = new Uint32Array(this.reportOffsets.length * 2);
      offsets.set(this.reportOffsets);
      this.reportOffsets = offsets;
    }
    const needed = (this.reportOffsets[this.count] as number) + reportBytes;
    if (needed > this.reports.length) {
      const grown = Buffer.alloc(Math.max(needed, this.reports.length * 2));
      this.reports.copy(grown);
      this.reports = grown;
    }
  }
}
