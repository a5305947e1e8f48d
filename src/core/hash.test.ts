import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  Ljs4HashWriter,
  keyedUserPseudonym,
  ljs4Hash,
  ljs4HashBytes,
  ljs4HashFromMsc4205,
} from "./hash.js";

// Test vectors from the LJS-4 Abuse Lookup API v1 specification (the spec's own example ids).
const VECTORS = [
  [
    "!zWTEwEwdqIvmcJpytH:perthchat.org",
    "962c56a12d861d1921073916db9a1fb47ccc7887d3199690f1de156e57cac709",
  ],
  [
    "!kfGzEsVtwINSAPopXA:perthchat.org",
    "ee180279a57f716e5801335a2914e228667f363e460ccabcc49e8fd879e1be4a",
  ],
] as const;

describe("LJS-4 hashing", () => {
  it.each(VECTORS)("hashes %s per the reference vector", (id, expected) => {
    expect(ljs4Hash(id)).toBe(expected);
    expect(ljs4HashBytes(id).toString("hex")).toBe(expected);
  });

  it("hashes ids as UTF-8", () => {
    const id = "!ŕôöm-😀:exämple.org";
    const inner = createHash("sha256").update(id, "utf8").digest();
    const expected = createHash("sha256").update(inner).digest("hex");
    expect(ljs4Hash(id)).toBe(expected);
    expect(ljs4HashBytes(id).toString("hex")).toBe(expected);
  });

  it("writes the same raw bytes in place, whatever the id holds", () => {
    const writer = new Ljs4HashWriter();
    const target = Buffer.alloc(3 * 32, 0xee);
    const ids = [VECTORS[0][0], "!ŕôöm-😀:exämple.org", "!\u0000\u00ff\uffff:x"];
    ids.forEach((id, i) => writer.write(id, target, i * 32));
    ids.forEach((id, i) =>
      expect(target.subarray(i * 32, (i + 1) * 32).toString("hex")).toBe(ljs4Hash(id)),
    );
    expect(target.subarray(0, 32).toString("hex")).toBe(VECTORS[0][1]);
  });

  it("hashes the raw inner digest, not its hex text", () => {
    const id = "!synthetic-0001:example.org";
    const overHex = createHash("sha256")
      .update(createHash("sha256").update(id).digest("hex"))
      .digest("hex");
    expect(ljs4Hash(id)).not.toBe(overHex);
  });

  it("converts an MSC4205 hashed entity to the LJS-4 hash", () => {
    const [id, expected] = VECTORS[1];
    const msc4205 = createHash("sha256").update(id, "utf8").digest("base64");
    expect(ljs4HashFromMsc4205(msc4205)).toBe(expected);
    expect(ljs4HashFromMsc4205("not base64")).toBeUndefined();
    expect(ljs4HashFromMsc4205("AAAA")).toBeUndefined();
  });

  it("keys user pseudonyms with a secret", () => {
    const a = keyedUserPseudonym("secret-a", "@alice:example.org");
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(keyedUserPseudonym("secret-b", "@alice:example.org")).not.toBe(a);
    expect(a).not.toBe(ljs4Hash("@alice:example.org"));
  });
});
