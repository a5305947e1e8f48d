import { inspect } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../core/hash.js";
import {
  createOprf,
  expandMessageXmdSha512,
  oprfInputFromLjs4Hash,
  OprfKey,
  type RistrettoOprf,
} from "./oprf.js";

const hex = (s: string): Buffer => Buffer.from(s, "hex");
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

// RFC 9497 Appendix A.1.1, OPRF(ristretto255, SHA-512), OPRF mode, byte for byte.
const SEED = hex("a3".repeat(32));
const KEY_INFO = hex("74657374206b6579"); // "test key"
const SK_SM = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e";
const VECTORS = [
  {
    name: "Test Vector 1, Batch Size 1",
    input: "00",
    blind: "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
    blindedElement: "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
    evaluationElement: "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
    output:
      "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3" +
      "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
  },
  {
    name: "Test Vector 2, Batch Size 1",
    input: "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    blind: "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
    blindedElement: "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
    evaluationElement: "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
    output:
      "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4" +
      "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
  },
] as const;

let oprf: RistrettoOprf;
beforeAll(async () => {
  oprf = await createOprf();
});

describe("RFC 9497 test vectors, ristretto255-SHA512, OPRF mode", () => {
  it("DeriveKeyPair(Seed, KeyInfo) gives skSm", () => {
    const key = oprf.deriveKey("test", SEED, KEY_INFO);
    expect(toHex(key.exportScalar())).toBe(SK_SM);
  });

  it.each(VECTORS)("$name: Blind, BlindEvaluate, Finalize and Evaluate", (v) => {
    const key = oprf.deriveKey("test", SEED, KEY_INFO);
    const input = hex(v.input);
    const blinded = oprf.blindWith(input, hex(v.blind));
    expect(toHex(blinded.blindedElement)).toBe(v.blindedElement);

    const evaluated = oprf.blindEvaluate(key, blinded.blindedElement);
    expect(evaluated.ok && toHex(evaluated.value)).toBe(v.evaluationElement);

    const output = oprf.finalize(input, blinded.blind, hex(v.evaluationElement));
    expect(output.ok && toHex(output.value)).toBe(v.output);

    expect(toHex(oprf.evaluate(key, input))).toBe(v.output);
  });
});

describe("expand_message_xmd(SHA-512)", () => {
  // RFC 9380 Appendix K.3. The OPRF vectors above only ask for 64 bytes (one block); the
  // 128-byte vector also covers the chaining of later blocks through b0 XOR b(i-1).
  const dst = Buffer.from("QUUX-V01-CS02-with-expander-SHA512-256", "ascii");
  it.each([
    ["", 0x20, "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"],
    ["abc", 0x20, "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc"],
    [
      "abc",
      0x80,
      "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653e36a6b11" +
        "bdd7732d8b38adb4a0edc26a0cef4bb45217135456e58fbca1703cd6032cb134" +
        "7ee720b87972d63fbf232587043ed2901bce7f22610c0419751c065922b48843" +
        "1851041310ad659e4b23520e1772ab29dcdeb2002222a363f0c2b1c972b3efe1",
    ],
  ] as const)("msg %j, %i bytes, per RFC 9380 K.3", (msg, length, expected) => {
    expect(toHex(expandMessageXmdSha512(Buffer.from(msg, "ascii"), dst, length))).toBe(expected);
  });

  it("refuses a DST longer than 255 bytes and outputs longer than 255 blocks", () => {
    expect(() => expandMessageXmdSha512(Buffer.alloc(1), Buffer.alloc(256), 64)).toThrow(
      RangeError,
    );
    expect(() => expandMessageXmdSha512(Buffer.alloc(1), dst, 255 * 64 + 1)).toThrow(RangeError);
  });
});

describe("the private lookup round trip", () => {
  it("the guard's blinded lookup gives the same output as the provider's own evaluation", () => {
    const key = oprf.generateKey("2026-12");
    const input = oprfInputFromLjs4Hash(ljs4Hash("!synthetic-0001:example.org"));
    expect(input).toHaveLength(32);
    const blinded = oprf.blind(input);
    const evaluated = oprf.blindEvaluate(key, blinded.blindedElement);
    if (!evaluated.ok) throw new Error(evaluated.error);
    const output = oprf.finalize(input, blinded.blind, evaluated.value);
    expect(output.ok && toHex(output.value)).toBe(toHex(oprf.evaluate(key, input)));
  });

  it("Finalize after BlindEvaluate equals Evaluate, for any input", () => {
    const key = oprf.generateKey("k");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        const blinded = oprf.blind(input);
        const evaluated = oprf.blindEvaluate(key, blinded.blindedElement);
        if (!evaluated.ok) return false;
        const output = oprf.finalize(input, blinded.blind, evaluated.value);
        return output.ok && toHex(output.value) === toHex(oprf.evaluate(key, input));
      }),
      { numRuns: 100 },
    );
  });

  it("two blindings of one input look unrelated to the provider", () => {
    const input = oprfInputFromLjs4Hash(ljs4Hash("!synthetic-0002:example.org"));
    const first = oprf.blind(input);
    const second = oprf.blind(input);
    expect(toHex(first.blindedElement)).not.toBe(toHex(second.blindedElement));
  });

  it("a different key gives a different output", () => {
    const input = oprfInputFromLjs4Hash(ljs4Hash("!synthetic-0003:example.org"));
    const a = oprf.evaluate(oprf.generateKey("a"), input);
    const b = oprf.evaluate(oprf.generateKey("b"), input);
    expect(toHex(a)).not.toBe(toHex(b));
  });
});

describe("additive blinding (the guard's)", () => {
  it.each(VECTORS)("$name: gives RFC 9497's Output through the provider's BlindEvaluate", (v) => {
    const key = oprf.deriveKey("test", SEED, KEY_INFO);
    const input = hex(v.input);
    const blind = oprf.additiveBlind(oprf.publicKey(key));
    const blinded = oprf.blindAdditively(input, blind);
    // Not RFC 9497's blinded element, yet the provider's unchanged BlindEvaluate ...
    expect(toHex(blinded)).not.toBe(v.blindedElement);
    const evaluated = oprf.blindEvaluate(key, blinded);
    if (!evaluated.ok) throw new Error(evaluated.error);
    // ... and the finalize give the RFC's output for this key and input.
    const output = oprf.finalizeAdditively(input, blind, evaluated.value);
    expect(output.ok && toHex(output.value)).toBe(v.output);
  });

  it("equals Evaluate for any input; a blind of another key gives another output", () => {
    const key = oprf.generateKey("k");
    const other = oprf.generateKey("other");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        const blind = oprf.additiveBlind(oprf.publicKey(key));
        const evaluated = oprf.blindEvaluate(key, oprf.blindAdditively(input, blind));
        if (!evaluated.ok) return false;
        const output = oprf.finalizeAdditively(input, blind, evaluated.value);
        const wrong = oprf.additiveBlind(oprf.publicKey(other));
        const misused = oprf.blindEvaluate(key, oprf.blindAdditively(input, wrong));
        if (!misused.ok) return false;
        const garbled = oprf.finalizeAdditively(input, wrong, misused.value);
        const expected = toHex(oprf.evaluate(key, input));
        return output.ok && toHex(output.value) === expected && garbled.ok
          ? toHex(garbled.value) !== expected
          : false;
      }),
      { numRuns: 50 },
    );
  });

  it("two blinds of one input look unrelated, and each differs from the input's element", () => {
    const key = oprf.generateKey("k");
    const input = oprfInputFromLjs4Hash(ljs4Hash("!synthetic-0004:example.org"));
    const a = oprf.blindAdditively(input, oprf.additiveBlind(oprf.publicKey(key)));
    const b = oprf.blindAdditively(input, oprf.additiveBlind(oprf.publicKey(key)));
    expect(toHex(a)).not.toBe(toHex(b));
    // RFC 9497's blinding with the blind 1 is the unblinded element itself.
    const plain = oprf.blindWith(input, Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]));
    expect([toHex(a), toHex(b)]).not.toContain(toHex(plain.blindedElement));
  });

  it("refuses a public key or an answer that is not an element, and an answer equal to the unmask", () => {
    expect(oprf.checkPublicKey(Buffer.alloc(32)).ok).toBe(false);
    expect(oprf.checkPublicKey(Buffer.alloc(32, 0xff)).ok).toBe(false);
    const key = oprf.deriveKey("test", SEED, KEY_INFO);
    expect(oprf.checkPublicKey(oprf.publicKey(key)).ok).toBe(true);
    const blind = oprf.additiveBlind(oprf.publicKey(key));
    expect(oprf.finalizeAdditively(hex("00"), blind, Buffer.alloc(32))).toEqual({
      ok: false,
      error: "element-identity",
    });
    // E = r·pkS leaves the identity once the blind is off: refused, not hashed.
    expect(oprf.finalizeAdditively(hex("00"), blind, blind.unmask)).toEqual({
      ok: false,
      error: "element-identity",
    });
  });
});

describe("untrusted elements", () => {
  const key = (): OprfKey => oprf.deriveKey("test", SEED, KEY_INFO);

  it("BlindEvaluate refuses the identity, wrong lengths and non-canonical encodings", () => {
    expect(oprf.blindEvaluate(key(), Buffer.alloc(32))).toEqual({
      ok: false,
      error: "element-identity",
    });
    expect(oprf.blindEvaluate(key(), Buffer.alloc(31, 1))).toEqual({
      ok: false,
      error: "element-wrong-length",
    });
    // All ones is above the field prime: no canonical ristretto255 encoding.
    expect(oprf.blindEvaluate(key(), Buffer.alloc(32, 0xff))).toEqual({
      ok: false,
      error: "element-not-canonical",
    });
    // An odd field element (low bit set) is "negative" and never a canonical encoding.
    const odd = hex(VECTORS[0].blindedElement);
    odd[0] = (odd[0] as number) | 1;
    expect(oprf.blindEvaluate(key(), odd)).toEqual({ ok: false, error: "element-not-canonical" });
  });

  it("Finalize refuses an identity answer from the provider", () => {
    const blinded = oprf.blindWith(hex("00"), hex(VECTORS[0].blind));
    expect(oprf.finalize(hex("00"), blinded.blind, Buffer.alloc(32))).toEqual({
      ok: false,
      error: "element-identity",
    });
  });
});

describe("the key", () => {
  it("never shows its scalar in JSON or util.inspect", () => {
    const key = oprf.deriveKey("test", SEED, KEY_INFO);
    const shown = JSON.stringify({ key }) + inspect(key) + inspect({ nested: key });
    expect(shown).toContain("test");
    expect(shown).not.toContain(SK_SM);
    expect(shown).not.toContain(SK_SM.slice(0, 16));
  });

  it("refuses a scalar of the wrong size", () => {
    expect(() => new OprfKey("k", Buffer.alloc(31))).toThrow(RangeError);
  });
});
