/**
 * The listed set of the private lookup (docs/private-lookup.md): the first 8 bytes of the
 * OPRF output y = F(k, x) of every listed room, sorted, without duplicates. The provider
 * builds it with its key and serves it with an ETag; the guard finalizes y for a room and
 * asks `has`. Without k, nobody can compute a y, so the set alone tells nothing about which
 * rooms are listed (its test hashes known room ids against it and finds none).
 *
 * Entries are unsigned 64-bit integers read big-endian from the output, so numeric order is
 * byte order and the wire form is the sorted concatenation of the 8-byte prefixes: 8 MB per
 * million rooms, one `BigUint64Array` in memory, binary search for `has`.
 */
import { hash } from "node:crypto";
import { err, ok, type Result } from "../core/result.js";

/** Bytes kept of each output: 2^64 values make a false hit among a million entries ~5e-14. */
export const PREFIX_BYTES = 8;

// Wire form: MAGIC, version, key id length, key id (ASCII), entry count (u32 BE), entries.
const MAGIC = Buffer.from("RLLS", "ascii");
const VERSION = 1;
const KEY_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_ENTRIES = 0xffffffff;
/** Typed arrays use the machine's byte order; the wire form is big-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Why bytes did not decode to a listed set. */
export type ListedSetError =
  "truncated" | "bad-magic" | "unsupported-version" | "bad-key-id" | "wrong-length" | "not-sorted";

/** The 8-byte prefix of an OPRF output as the set stores it (big-endian u64). */
export function outputPrefix(output: Uint8Array): bigint {
  if (output.length < PREFIX_BYTES) throw new RangeError("an output has at least 8 bytes");
  return new DataView(output.buffer, output.byteOffset, PREFIX_BYTES).getBigUint64(0, false);
}

/** Checks a key id: 1 to 64 characters of [A-Za-z0-9._-] (it travels in URLs and headers). */
export function isValidKeyId(keyId: string): boolean {
  return KEY_ID_RE.test(keyId);
}

/** Collects prefixes of outputs into a growing typed array (no bigint array in between). */
export class ListedSetBuilder {
  private entries: BigUint64Array;
  private count = 0;

  constructor(
    private readonly keyId: string,
    expected = 1024,
  ) {
    if (!isValidKeyId(keyId)) throw new RangeError("invalid key id");
    this.entries = new BigUint64Array(Math.max(16, expected));
  }

  /** Adds the output y of one listed room (only its first 8 bytes are kept). */
  add(output: Uint8Array): void {
    if (this.count === this.entries.length) {
      const grown = new BigUint64Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[this.count++] = outputPrefix(output);
  }

  /** Sorts, drops duplicates and returns the set. The builder must not be used after. */
  build(): ListedSet {
    const sorted = this.entries.subarray(0, this.count).sort();
    let unique = 0;
    for (let i = 0; i < sorted.length; i++) {
      const value = sorted[i] as bigint;
      if (unique === 0 || sorted[unique - 1] !== value) sorted[unique++] = value;
    }
    return ListedSet.fromSortedUnique(this.keyId, sorted.slice(0, unique));
  }
}

/** An immutable listed set for one key id. */
export class ListedSet {
  private cachedBytes: Buffer | undefined;
  private cachedEtag: string | undefined;

  private constructor(
    /** The id of the OPRF key whose outputs these are. */
    readonly keyId: string,
    private readonly entries: BigUint64Array,
  ) {}

  /** @internal For the builder and the decoder, which guarantee order and uniqueness. */
  static fromSortedUnique(keyId: string, entries: BigUint64Array): ListedSet {
    return new ListedSet(keyId, entries);
  }

  /** Builds the set from the outputs of the listed rooms. */
  static fromOutputs(keyId: string, outputs: Iterable<Uint8Array>): ListedSet {
    const builder = new ListedSetBuilder(keyId);
    for (const output of outputs) builder.add(output);
    return builder.build();
  }

  /** Number of distinct prefixes. */
  get size(): number {
    return this.entries.length;
  }

  /** Whether the prefix of `output` (an OPRF output, or just its first 8 bytes) is listed. */
  has(output: Uint8Array): boolean {
    return this.hasPrefix(outputPrefix(output));
  }

  /** Binary search for one prefix. */
  hasPrefix(prefix: bigint): boolean {
    let low = 0;
    let high = this.entries.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const value = this.entries[mid] as bigint;
      if (value === prefix) return true;
      if (value < prefix) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }

  /** The wire form (see the top of this file); built once and cached. */
  toBytes(): Buffer {
    if (this.cachedBytes !== undefined) return this.cachedBytes;
    const keyId = Buffer.from(this.keyId, "ascii");
    const headerLength = MAGIC.length + 2 + keyId.length + 4;
    const out = Buffer.alloc(headerLength + this.entries.length * PREFIX_BYTES);
    let offset = MAGIC.copy(out, 0);
    out[offset++] = VERSION;
    out[offset++] = keyId.length;
    offset += keyId.copy(out, offset);
    out.writeUInt32BE(this.entries.length, offset);
    offset += 4;
    // The entries' memory copied in one go, then turned big-endian in place (native code;
    // a write per entry costs several times more for a million entries).
    const body = out.subarray(offset);
    body.set(new Uint8Array(this.entries.buffer, this.entries.byteOffset, body.length));
    if (LITTLE_ENDIAN) body.swap64();
    this.cachedBytes = out;
    return out;
  }

  /**
   * A strong ETag for HTTP (RFC 9110 §8.8.3): SHA-256 over the wire form, which holds the
   * key id, so a rotated key never shares an ETag with the old one.
   */
  etag(): string {
    this.cachedEtag ??= `"${hash("sha256", this.toBytes(), "hex")}"`;
    return this.cachedEtag;
  }

  /** Decodes the wire form; refuses anything malformed, unsorted or with duplicates. */
  static fromBytes(bytes: Uint8Array): Result<ListedSet, ListedSetError> {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length < MAGIC.length + 2) return err("truncated");
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) return err("bad-magic");
    let offset = MAGIC.length;
    if (buf[offset++] !== VERSION) return err("unsupported-version");
    const keyIdLength = buf[offset++] as number;
    if (buf.length < offset + keyIdLength + 4) return err("truncated");
    const keyId = buf.toString("latin1", offset, offset + keyIdLength);
    if (!isValidKeyId(keyId)) return err("bad-key-id");
    offset += keyIdLength;
    const count = buf.readUInt32BE(offset);
    offset += 4;
    if (count > MAX_ENTRIES || buf.length - offset !== count * PREFIX_BYTES) {
      return err("wrong-length");
    }
    const entries = new BigUint64Array(count);
    const raw = new Uint8Array(entries.buffer);
    raw.set(buf.subarray(offset));
    if (LITTLE_ENDIAN) Buffer.from(entries.buffer).swap64();
    for (let i = 1; i < count; i++) {
      if ((entries[i] as bigint) <= (entries[i - 1] as bigint)) return err("not-sorted");
    }
    return ok(new ListedSet(keyId, entries));
  }
}
