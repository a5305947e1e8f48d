/**
 * The encrypted-at-rest list format (docs/list-encryption.md): a provider keeps the list on
 * disk only in this form, and the lookup service decrypts it in memory.
 *
 *   "REDLIGHT-LIST-1\n" (16 bytes) ‖ nonce (12 bytes) ‖ ciphertext ‖ GCM tag (16 bytes)
 *
 * AES-256-GCM with the 16-byte header as additional data; the key is 32 random bytes,
 * stored in the key file as 64 hex characters.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { err, ok, type Result } from "../core/result.js";

const MAGIC = Buffer.from("REDLIGHT-LIST-1\n", "ascii");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Parses key file text: 64 hex characters (surrounding whitespace ignored). */
export function parseListKey(text: string): Result<Buffer, string> {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    return err("the key file must hold 64 hexadecimal characters (32 bytes)");
  return ok(Buffer.from(hex, "hex"));
}

/** A fresh key, as key file text. */
export function generateListKey(): string {
  return `${randomBytes(32).toString("hex")}\n`;
}

/** Whether bytes look like an encrypted list (so a plain file is not mistaken for one). */
export function isEncryptedList(data: Buffer): boolean {
  return data.length >= MAGIC.length && data.subarray(0, MAGIC.length).equals(MAGIC);
}

/** Encrypts list bytes. */
export function encryptList(plain: Buffer, key: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(MAGIC);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
}

/** Decrypts and authenticates list bytes; a wrong key or any tampering is an error. */
export function decryptList(data: Buffer, key: Buffer): Result<Buffer, string> {
  if (!isEncryptedList(data) || data.length < MAGIC.length + NONCE_BYTES + TAG_BYTES) {
    return err("not an encrypted Redlight list (bad header)");
  }
  const nonce = data.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const body = data.subarray(MAGIC.length + NONCE_BYTES, data.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAAD(MAGIC);
    decipher.setAuthTag(tag);
    return ok(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    return err("the list failed authentication: wrong key or a damaged file");
  }
}
