/**
 * Client API tokens: 40 random alphanumeric characters (the LJS-4 `api_token` format),
 * stored only as SHA-256 hex and compared in constant time.
 */
import { hash, randomInt, timingSafeEqual } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN_RE = /^[A-Za-z0-9]{40}$/;

/** A fresh token (about 238 bits of entropy). */
export function generateToken(): string {
  let token = "";
  for (let i = 0; i < 40; i++) token += ALPHABET[randomInt(ALPHABET.length)];
  return token;
}

/** Whether a string has the shape of a token (40 alphanumerics). */
export function looksLikeToken(token: string): boolean {
  return TOKEN_RE.test(token);
}

/** The stored form of a token: SHA-256 hex. */
export function tokenHash(token: string): string {
  return hash("sha256", token, "hex"); // one-shot: no Hash object on every request
}

/** Constant-time comparison of two stored token hashes (both SHA-256 hex). */
export function tokenHashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
