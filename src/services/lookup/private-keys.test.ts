import { beforeAll, describe, expect, it } from "vitest";
import { createOprf, type RistrettoOprf } from "../../private-lookup/oprf.js";
import { clientLabel, parseKeySeed, PrivateKeyring } from "./private-keys.js";

const SEED = parseKeySeed("00".repeat(31) + "2a");

describe("PrivateKeyring", () => {
  let oprf: RistrettoOprf;
  beforeAll(async () => {
    oprf = await createOprf();
  });

  it("serves the previous epoch's key until retires_at, newest first, then only the current one", () => {
    let now = 1_000;
    const keys = new PrivateKeyring(
      oprf,
      { seed: SEED, epoch: "e2", previous: { epoch: "e1", retiresAt: 2_000 } },
      () => now,
    );
    expect(keys.keysFor("hs1").map((k) => [k.key.keyId, k.retiresAt])).toEqual([
      ["hs1.e2", null],
      ["hs1.e1", 2_000],
    ]);
    expect(keys.key("hs1", "hs1.e1")?.keyId).toBe("hs1.e1");
    now = 2_000;
    expect(keys.keysFor("hs1").map((k) => k.key.keyId)).toEqual(["hs1.e2"]);
    expect(keys.key("hs1", "hs1.e1")).toBeUndefined();
  });

  it("gives each client its own key and never another client's", () => {
    const keys = new PrivateKeyring(oprf, { seed: SEED, epoch: "e1" }, () => 0);
    const input = Buffer.alloc(32, 9);
    const a = keys.keysFor("hs1")[0]!.key;
    const b = keys.keysFor("hs2")[0]!.key;
    expect(Buffer.from(oprf.evaluate(a, input))).not.toEqual(Buffer.from(oprf.evaluate(b, input)));
    expect(keys.key("hs2", "hs1.e1")).toBeUndefined();
  });

  it("labels client names that cannot sit in a key id by a digest, and refuses a bad seed", () => {
    expect(clientLabel("hs1")).toBe("hs1");
    expect(clientLabel("matrix.example.org")).toMatch(/^h[0-9a-f]{24}$/);
    expect(() => parseKeySeed("abc")).toThrow(/64 hex/);
  });
});
