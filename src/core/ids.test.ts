import { describe, expect, it } from "vitest";
import { parseLjs4Hash, parseRoomId, parseServerName, parseUserId, serverOf } from "./ids.js";

describe("identifier parsing", () => {
  it("accepts well-formed ids and extracts the server", () => {
    expect(parseRoomId("!synthetic-0001:example.org").ok).toBe(true);
    const user = parseUserId("@alice:[::1]:8448");
    expect(user.ok && serverOf(user.value)).toBe("[::1]:8448");
    expect(parseServerName("example.org:8448").ok).toBe(true);
  });

  it.each([
    42,
    null,
    "",
    "synthetic:example.org",
    "!:example.org",
    "!abc",
    "!abc:bad host",
    `!${"a".repeat(260)}:x.org`,
  ])("rejects the room id %j", (input) => {
    expect(parseRoomId(input).ok).toBe(false);
  });

  it("accepts room version 12 ids, which have no server part", () => {
    const v12 = "!Aa0_-bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"; // 43 URL-safe base64 characters
    expect(parseRoomId(v12)).toEqual({ ok: true, value: v12 });
    expect(parseRoomId(`${v12}x`).ok).toBe(false);
    expect(parseRoomId("!Aa0+/bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM").ok).toBe(false);
  });

  it("rejects a user id with the wrong sigil", () => {
    expect(parseUserId("!room:example.org").ok).toBe(false);
  });

  it("accepts only 64 lowercase hex characters as a hash", () => {
    expect(parseLjs4Hash("a".repeat(64)).ok).toBe(true);
    for (const bad of [
      "A".repeat(64),
      "a".repeat(63),
      "a".repeat(65),
      "g".repeat(64),
      7,
      undefined,
    ]) {
      expect(parseLjs4Hash(bad).ok).toBe(false);
    }
  });
});
