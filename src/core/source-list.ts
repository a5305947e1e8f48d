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
import { createHash } from "node:crypto";
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

/**
 * The arrays a {@link SourceList} is made of. Each typed array owns its whole ArrayBuffer, so
 * a list built in a worker thread moves to the main thread by transfer, without a copy.
 */
export interface SourceListParts {
  readonly keys: Uint8Array;
  readonly tagSetOf: Uint32Array;
  readonly reportOffsets: Uint32Array;
  readonly reports: Uint8Array;
  readonly tagSets: readonly (readonly string[])[];
  readonly slots: Uint32Array;
  readonly size: number;
}

/** A copy of the first `length` bytes of `bytes` in an ArrayBuffer of its own. */
function ownBytes(bytes: Uint8Array, length: number): Uint8Array {
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(0, length));
  return copy;
}

/** A Buffer view over the same memory (no copy). */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** Whether a typed array spans its whole ArrayBuffer (so transferring it moves nothing else). */
const ownsBuffer = (a: Uint8Array | Uint32Array) =>
  a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;

/** Slot count for `n` entries: a power of two, at least twice `n` (load factor ≤ 0.5). */
function slotCapacity(n: number): number {
  let capacity = 2;
  while (capacity < n * 2) capacity *= 2;
  return capacity;
}

/** An immutable, compact source list. Build with {@link SourceListBuilder}. */
export class SourceList {
  private readonly filterCache = new Map<string, Uint8Array>();
  private readonly versionCache = new Map<string, string>();
  /** The asked hash's bytes, decoded here rather than into a new Buffer per lookup. */
  private readonly probe = Buffer.alloc(HASH_BYTES);

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

  /**
   * Rebuilds a list from {@link toParts} output (e.g. moved from a worker thread). Throws
   * when the parts do not fit together, which only a bug can cause.
   */
  static fromParts(parts: SourceListParts): SourceList {
    const { keys, tagSetOf, reportOffsets, reports, tagSets, slots, size } = parts;
    const fits =
      Number.isInteger(size) &&
      keys.length === size * HASH_BYTES &&
      tagSetOf.length === size &&
      reportOffsets.length === size + 1 &&
      (reportOffsets[size] as number) <= reports.length &&
      slots.length >= 2 &&
      (slots.length & (slots.length - 1)) === 0 &&
      slots.length >= size * 2;
    if (!fits) throw new Error("source list parts do not fit together");
    return new SourceList(
      asBuffer(keys),
      tagSetOf,
      reportOffsets,
      asBuffer(reports),
      tagSets,
      slots,
      size,
    );
  }

  /**
   * The list's arrays, each owning its whole ArrayBuffer (copied only if it did not), for
   * `postMessage(parts, transferListOf(parts))`. After a transfer this list is unusable.
   */
  toParts(): SourceListParts {
    const own = <T extends Uint8Array | Uint32Array>(a: T): T =>
      ownsBuffer(a) ? a : (a.slice() as T);
    return {
      keys: own(new Uint8Array(this.keys.buffer, this.keys.byteOffset, this.keys.length)),
      tagSetOf: own(this.tagSetOf),
      reportOffsets: own(this.reportOffsets),
      reports: own(
        new Uint8Array(this.reports.buffer, this.reports.byteOffset, this.reports.length),
      ),
      tagSets: this.tagSets,
      slots: own(this.slots),
      size: this.size,
    };
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
    const index = this.indexOf(this.probeOf(hash));
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

  /**
   * A digest of what a client filtering `filteredTags` can see of this list: each visible
   * entry's hash, report id and filtered tags, in the list's order. It changes when that
   * view changes and reveals nothing of the entries. Computed once per list and tag set.
   */
  version(filteredTags: ReadonlySet<string>): string {
    const cacheKey = [...filteredTags].sort().join("\n");
    const cached = this.versionCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const filter = this.tagSetFilter(filteredTags);
    const shownTags = this.tagSets.map((set) =>
      Buffer.from(`\u0000${set.filter((t) => filteredTags.has(t)).join("\u0001")}\u0000`),
    );
    const digest = createHash("sha256").update("redlight list view v1");
    for (let i = 0; i < this.size; i++) {
      const tagSet = this.tagSetOf[i] as number;
      if (filter[tagSet] !== 1) continue;
      digest.update(this.keys.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
      digest.update(this.reports.subarray(this.reportOffsets[i], this.reportOffsets[i + 1]));
      digest.update(shownTags[tagSet] as Buffer);
    }
    const version = digest.digest("hex");
    this.versionCache.set(cacheKey, version);
    return version;
  }

  /** Whether the hash is listed at all, whatever its tags. */
  has(hash: Ljs4Hash): boolean {
    return this.indexOf(this.probeOf(hash)) >= 0;
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

  private probeOf(hash: Ljs4Hash): Buffer {
    // An Ljs4Hash is 64 hex characters; anything shorter must not match a stale probe.
    return this.probe.write(hash, 0, "hex") === HASH_BYTES ? this.probe : Buffer.alloc(0);
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

/** The ArrayBuffers to transfer with {@link SourceList.toParts} output. */
export function transferListOf(parts: SourceListParts): ArrayBuffer[] {
  return [parts.keys, parts.tagSetOf, parts.reportOffsets, parts.reports, parts.slots].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

/**
 * Accumulates listed rooms and builds a {@link SourceList}. A room listed twice keeps its
 * first report id and the union of its tags.
 *
 * Duplicates are found with the same open-addressing table the built list uses (entry
 * index + 1 by the hash's first four bytes, linear probing), grown at half full: a
 * Map<string> of a million 32-byte keys cost a third of a million-room load, in strings
 * built only to be compared. At build the table is already the list's slot table.
 */
export class SourceListBuilder {
  private keys = Buffer.alloc(HASH_BYTES * 1024);
  private tagSetOf = new Uint32Array(1024);
  private reportOffsets = new Uint32Array(1025);
  private reports = Buffer.alloc(64 * 1024);
  private readonly tagSets: string[][] = [];
  private readonly tagSetIds = new Map<string, number>();
  private slots: Uint32Array = new Uint32Array(2048);
  private readonly hexKey = Buffer.alloc(HASH_BYTES);
  private count = 0;

  /** Number of distinct rooms added so far. */
  get size(): number {
    return this.count;
  }

  /** Adds one listed room. */
  add(room: ListedRoom): void {
    const key =
      typeof room.hash === "string"
        ? this.hexKey.subarray(0, this.hexKey.write(room.hash, 0, "hex"))
        : room.hash;
    if (key.length !== HASH_BYTES) throw new Error("listed room hash must be 32 bytes");
    const slot = this.findSlot(key);
    const existing = (this.slots[slot] as number) - 1;
    if (existing >= 0) {
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
    this.slots[slot] = index + 1;
    if (this.count * 2 > this.slots.length) this.slots = this.rehash(this.slots.length * 2);
  }

  /** Freezes the accumulated rooms into a compact, immutable list. */
  build(): SourceList {
    const n = this.count;
    const capacity = slotCapacity(n);
    // The duplicate table has the list's layout; it is larger only for small lists.
    const slots = capacity === this.slots.length ? this.slots.slice() : this.rehash(capacity);
    const reportEnd = this.reportOffsets[n] as number;
    return SourceList.fromParts({
      keys: ownBytes(this.keys, n * HASH_BYTES),
      tagSetOf: this.tagSetOf.slice(0, n),
      reportOffsets: this.reportOffsets.slice(0, n + 1),
      reports: ownBytes(this.reports, reportEnd),
      tagSets: this.tagSets,
      slots,
      size: n,
    });
  }

  /** The slot holding `key`, or the empty slot where it belongs. */
  private findSlot(key: Buffer): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const head = key.readUInt32LE(0);
    const next = key.readUInt32LE(4);
    for (let slot = head & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot] as number;
      if (entry === 0) return slot;
      const at = (entry - 1) * HASH_BYTES;
      // Eight bytes compared in JS first; the full (native) comparison only for a likely match.
      if (
        this.keys.readUInt32LE(at) === head &&
        this.keys.readUInt32LE(at + 4) === next &&
        key.compare(this.keys, at, at + HASH_BYTES) === 0
      ) {
        return slot;
      }
    }
  }

  /** A fresh table of `capacity` slots holding every entry so far. */
  private rehash(capacity: number): Uint32Array {
    const slots = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < this.count; i++) {
      let slot = this.keys.readUInt32LE(i * HASH_BYTES) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = i + 1;
    }
    return slots;
  }

  private internTags(tags: readonly string[]): number {
    // Most rooms carry one tag: no Set, sort and join for those.
    const single = tags.length === 1 ? (tags[0] as string) : undefined;
    const sorted = single === undefined ? [...new Set(tags)].sort() : [single];
    const key = single ?? sorted.join("\n");
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
