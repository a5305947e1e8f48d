/**
 * HMAC-SHA-256 (RFC 2104) for keyed term lists, from two one-shot SHA-256 calls over
 * prepared pads: `crypto.hash` is several times cheaper than a `createHmac` object per
 * phrase, and the matcher hashes many short phrases.
 * `digest(m)` equals `createHmac("sha256", key).update(m).digest()`.
 */
import { createHash, hash, timingSafeEqual } from "node:crypto";

const BLOCK = 64;

/** A keyed hasher for one key. */
export interface KeyedHasher {
  /** HMAC-SHA-256 of the UTF-8 message. */
  digest(message: string): Buffer;
  /** Whether this hasher uses `key`. */
  sameKey(key: Uint8Array): boolean;
}

/** Prepares HMAC-SHA-256 under `key`. */
export function keyedHasher(key: Uint8Array): KeyedHasher {
  const own = Buffer.from(key);
  const block = Buffer.alloc(BLOCK);
  (own.length > BLOCK ? createHash("sha256").update(own).digest() : own).copy(block);
  const ipad = Buffer.from(block.map((b) => b ^ 0x36));
  const opad = Buffer.from(block.map((b) => b ^ 0x5c));
  return {
    digest: (message) => {
      const inner = hash("sha256", Buffer.concat([ipad, Buffer.from(message, "utf8")]), "buffer");
      return hash("sha256", Buffer.concat([opad, inner]), "buffer");
    },
    sameKey: (other) => other.length === own.length && timingSafeEqual(Buffer.from(other), own),
  };
}
