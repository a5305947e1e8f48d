/**
 * Synapse's room directory paging token, read and written. Synapse (`RoomListNextBatch`
 * in synapse/handlers/room_list.py) encodes the room at the page boundary as unpadded
 * base64 of a msgpack map `{"m": joined members, "r": room id, "d": forwards}` and pages
 * by keyset: a forward token asks for the rooms strictly after (m, r) in the order
 * "most members first, then room id descending", a backward token for those before.
 *
 * The federation path cannot issue tokens of its own: the requesting server signs the URI
 * and body (`X-Matrix`), `since` included, so Synapse must receive the token it sent
 * verbatim. There the guard writes Synapse tokens itself, naming only rooms the requester
 * may see (directory-paging.ts). Only the msgpack types such a token uses are read.
 */
import { err, ok, type Result } from "../../../core/result.js";

/** The boundary of a page as Synapse's token holds it. */
export interface SynapseBoundary {
  readonly members: number;
  readonly roomId: string;
  /** True for a `next_batch` (rooms after), false for a `prev_batch` (rooms before). */
  readonly forwards: boolean;
}

/** Synapse's token for a boundary: unpadded base64 of the msgpack map, as Synapse writes it. */
export function encodeSynapseToken(boundary: SynapseBoundary): string {
  const parts = [
    Buffer.from([0x83]), // a map of three entries, in Synapse's key order
    str("m"),
    uint(boundary.members),
    str("r"),
    str(boundary.roomId),
    str("d"),
    Buffer.from([boundary.forwards ? 0xc3 : 0xc2]),
  ];
  return Buffer.concat(parts).toString("base64").replace(/=+$/, "");
}

/** A Synapse token's boundary, or why it is not one. */
export function decodeSynapseToken(token: string): Result<SynapseBoundary, string> {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(token) || token.length > 4096) return err("not base64");
  const reader = new Reader(Buffer.from(token, "base64"));
  const size = reader.mapHeader();
  if (size === undefined || size > 16) return err("not a map");
  const fields = new Map<string, unknown>();
  for (let i = 0; i < size; i++) {
    const key = reader.value();
    const value = reader.value();
    if (typeof key !== "string" || value === INVALID) return err("bad entry");
    fields.set(key, value);
  }
  if (!reader.done()) return err("trailing bytes");
  const members = fields.get("m");
  const roomId = fields.get("r");
  const forwards = fields.get("d");
  if (typeof members !== "number" || !Number.isSafeInteger(members) || members < 0)
    return err("no member count");
  if (typeof roomId !== "string") return err("no room id");
  if (typeof forwards !== "boolean") return err("no direction");
  return ok({ members, roomId, forwards });
}

function str(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  const n = bytes.length;
  const head =
    n < 32
      ? Buffer.from([0xa0 | n])
      : n < 0x100
        ? Buffer.from([0xd9, n])
        : n < 0x10000
          ? Buffer.from([0xda, n >> 8, n & 0xff])
          : Buffer.from([0xdb, ...u32(n)]);
  return Buffer.concat([head, bytes]);
}

function uint(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError("member count out of range");
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0xcc, n]);
  if (n < 0x10000) return Buffer.from([0xcd, n >> 8, n & 0xff]);
  if (n < 0x100000000) return Buffer.from([0xce, ...u32(n)]);
  const out = Buffer.alloc(9);
  out[0] = 0xcf;
  out.writeBigUInt64BE(BigInt(n), 1);
  return out;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

const INVALID = Symbol("invalid");

/** A msgpack reader for nil, booleans, integers and strings: what a token holds. */
class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}

  done(): boolean {
    return this.at === this.bytes.length;
  }

  mapHeader(): number | undefined {
    const b = this.byte();
    if (b === undefined) return undefined;
    if ((b & 0xf0) === 0x80) return b & 0x0f;
    if (b === 0xde) return this.uintOf(2);
    return undefined;
  }

  value(): string | number | boolean | null | typeof INVALID {
    const b = this.byte();
    if (b === undefined) return INVALID;
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xe0) === 0xa0) return this.text(b & 0x1f);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        return this.uintOf(1 << (b - 0xcc)) ?? INVALID;
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3:
        return this.intOf(1 << (b - 0xd0)) ?? INVALID;
      case 0xd9:
      case 0xda:
      case 0xdb: {
        const n = this.uintOf(1 << (b - 0xd9));
        return n === undefined ? INVALID : this.text(n);
      }
      default:
        return INVALID;
    }
  }

  private byte(): number | undefined {
    return this.at < this.bytes.length ? this.bytes[this.at++] : undefined;
  }

  private take(n: number): Buffer | undefined {
    if (this.at + n > this.bytes.length) return undefined;
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  private uintOf(n: number): number | undefined {
    const b = this.take(n);
    if (b === undefined) return undefined;
    const v = Number(readUint(b));
    return Number.isSafeInteger(v) ? v : undefined;
  }

  private intOf(n: number): number | undefined {
    const b = this.take(n);
    if (b === undefined) return undefined;
    const v = n === 8 ? Number(b.readBigInt64BE(0)) : b.readIntBE(0, n);
    return Number.isSafeInteger(v) ? v : undefined;
  }

  private text(n: number): string | typeof INVALID {
    const b = this.take(n);
    if (b === undefined) return INVALID;
    const s = b.toString("utf8");
    // A token with invalid UTF-8 is not one Synapse wrote.
    return Buffer.from(s, "utf8").equals(b) ? s : INVALID;
  }
}

function readUint(b: Buffer): bigint {
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}
