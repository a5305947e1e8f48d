import { beforeAll, describe, expect, it } from "vitest";
import { ljs4HashBytes } from "../core/hash.js";
import { deriveClientKey } from "./client-keys.js";
import { createOprf, type RistrettoOprf } from "./oprf.js";

let oprf: RistrettoOprf;
beforeAll(async () => {
  oprf = await createOprf();
});

const seed = Buffer.alloc(32, 0x5a);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("deriveClientKey", () => {
  it("is DeriveKeyPair with the client's info string and names the key client.epoch", () => {
    const key = deriveClientKey(oprf, seed, "synthetic-hs", "2026-12");
    expect(key.keyId).toBe("synthetic-hs.2026-12");
    const direct = oprf.deriveKey("x", seed, Buffer.from("redlight-v2|synthetic-hs|2026-12"));
    expect(hex(key.exportScalar())).toBe(hex(direct.exportScalar()));
  });

  it("gives every client and every epoch its own PRF", () => {
    const input = ljs4HashBytes("!synthetic-0001:example.org");
    const outputs = [
      deriveClientKey(oprf, seed, "a", "1"),
      deriveClientKey(oprf, seed, "b", "1"),
      deriveClientKey(oprf, seed, "a", "2"),
      deriveClientKey(oprf, Buffer.alloc(32, 0x5b), "a", "1"),
    ].map((key) => hex(oprf.evaluate(key, input)));
    expect(new Set(outputs).size).toBe(4);
    // Deterministic: the provider can re-derive a client's key from the seed.
    expect(hex(oprf.evaluate(deriveClientKey(oprf, seed, "a", "1"), input))).toBe(outputs[0]);
  });

  it("refuses names that would make key ids ambiguous", () => {
    expect(() => deriveClientKey(oprf, seed, "a.b", "1")).toThrow(RangeError);
    expect(() => deriveClientKey(oprf, seed, "a", "1|2")).toThrow(RangeError);
    expect(() => deriveClientKey(oprf, seed, "", "1")).toThrow(RangeError);
  });
});
