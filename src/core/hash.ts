/**
 * LJS-4 wire hashing (the LJS-4 Abuse Lookup API v1 specification, "Hashing (wire format v1)"):
 * lowercase_hex(SHA-256(SHA-256(UTF-8(id)))), where the outer SHA-256 runs over the raw
 * 32-byte inner digest, not its hex text.
 *
 * These hashes give no secrecy by themselves (ids are enumerable); access control, quotas
 * and freezes protect the list.
 */
import { createHmac, hash } from "node:crypto";
import type { Ljs4Hash } from "./ids.js";

// One-shot `crypto.hash` (Node ≥ 20.12) rather than createHash().update().digest(): no Hash
// object per call, about half the time, which matters when a list of a million plain room
// ids is hashed twice per room at load. Strings are hashed as UTF-8.

/** The LJS-4 v1 hash of a room or user id. */
export function ljs4Hash(id: string): Ljs4Hash {
  return hash("sha256", hash("sha256", id, "buffer"), "hex") as Ljs4Hash;
}

/** The raw 32 bytes of the LJS-4 hash (used by the compact in-memory list). */
export function ljs4HashBytes(id: string): Buffer {
  return hash("sha256", hash("sha256", id, "buffer"), "buffer");
}

/**
 * Writes LJS-4 hashes as raw bytes into a caller's buffer, for loading lists. Each digest
 * above comes back in a Buffer of its own, and those allocations, not SHA-256, were most
 * of the time a million plain room ids took (1.7 s of 2; 0.6 s this way): here both
 * digests come back as one-byte-per-character strings (cheap heap objects) and are copied
 * into a scratch buffer and the target. Not for concurrent use (one per decoder).
 */
export class Ljs4HashWriter {
  private readonly inner = Buffer.alloc(32);

  /** Writes the 32 raw bytes of the LJS-4 hash of `id` into `target` at `offset`. */
  write(id: string, target: Buffer, offset = 0): void {
    this.inner.write(hash("sha256", id, "binary"), 0, "latin1");
    target.write(hash("sha256", this.inner, "binary"), offset, "latin1");
  }
}

/**
 * Converts an MSC4205 hashed policy entity (`base64(SHA-256(UTF-8(entity)))`) to its LJS-4
 * hash without knowing the entity: one more SHA-256 over the decoded digest.
 * Returns undefined when the input is not a 32-byte base64 digest.
 */
export function ljs4HashFromMsc4205(entityHash: string): Ljs4Hash | undefined {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(entityHash)) return undefined;
  const digest = Buffer.from(entityHash, "base64");
  if (digest.length !== 32) return undefined;
  return hash("sha256", digest, "hex") as Ljs4Hash;
}

/**
 * A keyed user pseudonym for LJS-4's `user_id_hash`: HMAC-SHA-256(secret, user id) in hex.
 * The lookup service sees only an opaque 64-hex value it cannot reverse by dictionary; the
 * homeserver that holds the secret can recompute it (for example to unfreeze a user).
 */
export function keyedUserPseudonym(secret: Buffer | string, userId: string): Ljs4Hash {
  return createHmac("sha256", secret).update(userId, "utf8").digest("hex") as Ljs4Hash;
}
