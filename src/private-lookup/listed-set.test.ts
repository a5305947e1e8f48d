import { hash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash, ljs4HashBytes } from "../core/hash.js";
import { ListedSet, ListedSetBuilder, outputPrefix, PREFIX_BYTES } from "./listed-set.js";
import { createOprf, oprfInputFromLjs4Hash, type RistrettoOprf } from "./oprf.js";

let oprf: RistrettoOprf;
beforeAll(async () => {
  oprf = await createOprf();
});

const roomId = (i: number): string => `!synthetic-${String(i).padStart(6, "0")}:example.org`;

describe("ListedSet", () => {
  it("holds 100,000 random outputs, finds every one and no fresh output", () => {
    const pool = randomBytes(200_000 * 64);
    const outputs = Array.from({ length: 100_000 }, (_, i) => pool.subarray(i * 64, i * 64 + 64));
    const set = ListedSet.fromOutputs("k1", outputs);
    expect(set.size).toBe(100_000);
    for (const output of outputs) expect(set.has(output)).toBe(true);
    let falseHits = 0;
    for (let i = 100_000; i < 200_000; i++) {
      if (set.has(pool.subarray(i * 64, i * 64 + 64))) falseHits++;
    }
    expect(falseHits).toBe(0);
    // 8 bytes per entry plus a header of a few bytes.
    expect(set.toBytes().length).toBe(4 + 2 + 2 + 4 + 100_000 * PREFIX_BYTES);
  });

  it("keeps only the first 8 bytes and drops duplicates", () => {
    const a = Buffer.alloc(64, 1);
    const sameStart = Buffer.concat([a.subarray(0, 8), Buffer.alloc(56, 9)]);
    const set = ListedSet.fromOutputs("k1", [a, sameStart, Buffer.alloc(64, 2)]);
    expect(set.size).toBe(2);
    expect(set.has(a.subarray(0, 8))).toBe(true);
    expect(set.has(Buffer.alloc(8, 3))).toBe(false);
    expect(outputPrefix(Buffer.from("0102030405060708ff", "hex"))).toBe(0x0102030405060708n);
  });

  it("finds the lowest and the highest prefix, and nothing in an empty set", () => {
    const low = Buffer.alloc(8, 0);
    const high = Buffer.alloc(8, 0xff);
    const set = ListedSet.fromOutputs("k1", [high, Buffer.alloc(8, 0x80), low]);
    expect([set.has(low), set.has(high), set.has(Buffer.alloc(8, 0x7f))]).toEqual([
      true,
      true,
      false,
    ]);
    expect(ListedSet.fromOutputs("k1", []).has(low)).toBe(false);
  });

  it("round-trips through its bytes with the same ETag", () => {
    const builder = new ListedSetBuilder("2026-12.a", 2);
    for (let i = 0; i < 1000; i++) builder.add(randomBytes(64));
    const set = builder.build();
    const decoded = ListedSet.fromBytes(set.toBytes());
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.value.keyId).toBe("2026-12.a");
    expect(decoded.value.size).toBe(1000);
    expect(decoded.value.etag()).toBe(set.etag());
    expect(set.etag()).toMatch(/^"[0-9a-f]{64}"$/);
  });

  it("gives another ETag for the same entries under another key id", () => {
    const outputs = [randomBytes(64), randomBytes(64)];
    expect(ListedSet.fromOutputs("old", outputs).etag()).not.toBe(
      ListedSet.fromOutputs("new", outputs).etag(),
    );
  });

  it("refuses malformed bytes", () => {
    const good = ListedSet.fromOutputs("k1", [Buffer.alloc(8, 1), Buffer.alloc(8, 2)]).toBytes();
    const swapped = Buffer.from(good);
    good.copy(swapped, good.length - 16, good.length - 8);
    good.copy(swapped, good.length - 8, good.length - 16, good.length - 8);
    const badKeyId = Buffer.from(good);
    badKeyId[6] = 0x2f; // "/"
    const cases: [Uint8Array, string][] = [
      [good.subarray(0, 3), "truncated"],
      [Buffer.concat([Buffer.from("XXXX"), good.subarray(4)]), "bad-magic"],
      [
        Buffer.concat([good.subarray(0, 4), Buffer.from([2]), good.subarray(5)]),
        "unsupported-version",
      ],
      [badKeyId, "bad-key-id"],
      [good.subarray(0, good.length - 1), "wrong-length"],
      [swapped, "not-sorted"],
      [Buffer.concat([good, good.subarray(good.length - 8)]), "wrong-length"],
    ];
    for (const [bytes, error] of cases) {
      expect(ListedSet.fromBytes(bytes)).toEqual({ ok: false, error });
    }
    expect(ListedSet.fromBytes(good).ok).toBe(true);
  });

  it("refuses a key id that cannot travel in a URL or header", () => {
    expect(() => new ListedSetBuilder("bad id")).toThrow(RangeError);
    expect(() => new ListedSetBuilder("")).toThrow(RangeError);
  });
});

describe("the set alone (offline testing)", () => {
  it("finds no listed room by hashing room ids without the key", () => {
    const key = oprf.generateKey("k1");
    const listed = Array.from({ length: 500 }, (_, i) => roomId(i));
    const set = ListedSet.fromOutputs(
      "k1",
      listed.map((id) => oprf.evaluate(key, oprfInputFromLjs4Hash(ljs4Hash(id)))),
    );
    // Everything a holder of the set can compute from a room id without k.
    const guessKey = oprf.generateKey("guess");
    const guesses = listed.flatMap((id) => [
      hash("sha256", id, "buffer"),
      ljs4HashBytes(id),
      Buffer.from(ljs4Hash(id), "utf8"),
      hash("sha512", ljs4HashBytes(id), "buffer"),
      oprf.evaluate(guessKey, oprfInputFromLjs4Hash(ljs4Hash(id))),
    ]);
    expect(guesses.filter((guess) => set.has(guess))).toEqual([]);
    // The same ids with the key are all found: the misses above are not a broken set.
    const withKey = listed.map((id) => oprf.evaluate(key, oprfInputFromLjs4Hash(ljs4Hash(id))));
    expect(withKey.every((y) => set.has(y))).toBe(true);
  });
});
