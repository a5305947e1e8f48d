import { describe, expect, it } from "vitest";
import {
  decryptList,
  encryptList,
  generateListKey,
  isEncryptedList,
  parseListKey,
} from "./encryption.js";

const key = () => {
  const k = parseListKey(generateListKey());
  if (!k.ok) throw new Error(k.error);
  return k.value;
};

describe("list encryption at rest", () => {
  it("round-trips and does not contain the plain text", () => {
    const k = key();
    const plain = Buffer.from(
      '[{"report_id":"r1","room":{"room_id":"!synthetic-0001:example.org"}}]',
    );
    const sealed = encryptList(plain, k);
    expect(isEncryptedList(sealed)).toBe(true);
    expect(sealed.includes(Buffer.from("synthetic-0001"))).toBe(false);
    expect(decryptList(sealed, k)).toEqual({ ok: true, value: plain });
    expect(encryptList(plain, k).equals(sealed)).toBe(false); // fresh nonce each time
  });

  it("fails on a wrong key, a flipped bit anywhere, truncation and a changed header", () => {
    const k = key();
    const sealed = encryptList(Buffer.from("[]"), k);
    expect(decryptList(sealed, key()).ok).toBe(false);
    for (const at of [5, 20, sealed.length - 20, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] as number) ^ 1;
      expect(decryptList(bad, k).ok).toBe(false);
    }
    expect(decryptList(sealed.subarray(0, 30), k).ok).toBe(false);
  });

  it("accepts only 64-hex-character keys", () => {
    expect(parseListKey(" " + "a".repeat(64) + "\n").ok).toBe(true);
    expect(parseListKey("a".repeat(63)).ok).toBe(false);
    expect(parseListKey("z".repeat(64)).ok).toBe(false);
  });
});
