import { describe, expect, it } from "vitest";
import { keyedUserPseudonym } from "../../../core/hash.js";
import type { UserId } from "../../../core/ids.js";
import { cachedPseudonyms } from "./pseudonyms.js";

const SECRET = "synthetic-pseudonym-secret-0123456789abcdef";
const user = (n: number) => `@user-${n}:example.org` as UserId;

describe("cachedPseudonyms", () => {
  it("answers exactly the keyed pseudonym, cached or not", () => {
    const pseudonym = cachedPseudonyms(SECRET, 2);
    for (const n of [1, 2, 1, 3, 1, 2, 4, 4]) {
      expect(pseudonym(user(n))).toBe(keyedUserPseudonym(SECRET, user(n)));
    }
  });

  it("stays exact past its bound (two generations: recently used users kept)", () => {
    const pseudonym = cachedPseudonyms(SECRET, 100);
    for (let n = 0; n < 10_000; n++) pseudonym(user(n));
    // Still correct for evicted and kept users alike.
    expect(pseudonym(user(0))).toBe(keyedUserPseudonym(SECRET, user(0)));
    expect(pseudonym(user(9_999))).toBe(keyedUserPseudonym(SECRET, user(9_999)));
  });

  it("works with the cache off", () => {
    expect(cachedPseudonyms(SECRET, 0)(user(1))).toBe(keyedUserPseudonym(SECRET, user(1)));
  });
});
