/**
 * LJS-4 wire hashing (shared/reference/ljs4-abuse-lookup.md, "Hashing (wire format v1)"):
 * lowercase_hex(SHA-256(SHA-256(UTF-8(id)))), where the outer SHA-256 runs over the raw
 * 32-byte inner digest, not its hex text.
 *
 * These hashes give no secrecy by themselves (ids are enumerable); access control, quotas
 * and freezes protect the list.
 */
import { createHash, createHmac } from "node:crypto";
import type { Ljs4Hash } from "./ids.js";

/** The LJS-4 v1 hash of a room or user id. */
export function ljs4Hash(id: string): Ljs4Hash {
  const inner = createHash("sha256").update(id, "utf8").digest();
  return createHash("sha256").update(inner).digest("hex") as Ljs4Hash;
}

/** The raw 32 bytes of the LJS-4 hash (used by the compact in-memory list). */
export function ljs4HashBytes(id: string): Buffer {
  const inner = createHash("sha256").update(id, "utf8").digest();
  return createHash("sha256").update(inner).digest();
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
  return createHash("sha256").update(digest).digest("hex") as Ljs4Hash;
}

/**
 * A keyed user pseudonym for LJS-4's `user_id_hash`: HMAC-SHA-256(secret, user id) in hex.
 * The lookup service sees only an opaque 64-hex value it cannot reverse by dictionary; the
 * homeserver that holds the secret can recompute it (for example to unfreeze a user).
 */
export function keyedUserPseudonym(secret: Buffer | string, userId: string): Ljs4Hash {
  return createHmac("sha256", secret).update(userId, "utf8").digest("hex") as Ljs4Hash;
}
