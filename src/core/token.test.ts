import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateToken, looksLikeToken, tokenHash, tokenHashesEqual } from "./token.js";

describe("client tokens", () => {
  it("stores a token as its SHA-256 hex and compares stored forms", () => {
    const token = generateToken();
    expect(looksLikeToken(token)).toBe(true);
    const stored = tokenHash(token);
    expect(stored).toBe(createHash("sha256").update(token, "utf8").digest("hex"));
    expect(tokenHashesEqual(stored, tokenHash(token))).toBe(true);
    expect(tokenHashesEqual(stored, tokenHash(generateToken()))).toBe(false);
    expect(tokenHashesEqual(stored, "not hex")).toBe(false);
  });
});
