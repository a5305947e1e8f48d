import { beforeAll, describe, expect, it } from "vitest";
import { BlindingPool } from "./blinding-pool.js";
import { createOprf, type RistrettoOprf } from "./oprf.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

let oprf: RistrettoOprf;
beforeAll(async () => {
  oprf = await createOprf();
});

describe("BlindingPool", () => {
  it("fills itself in the background, up to its size, and hands out each blind once", async () => {
    const key = oprf.generateKey("k");
    const pool = new BlindingPool(oprf, oprf.publicKey(key), 8);
    expect(pool.available).toBe(0); // nothing made before the event loop turns
    await until(() => pool.available === 8);
    const taken = Array.from({ length: 20 }, () => pool.take()); // 8 ready, 12 made now
    expect(new Set(taken.map((b) => hex(b.mask))).size).toBe(20);
    expect(new Set(taken.map((b) => hex(b.unmask))).size).toBe(20);
    await until(() => pool.available === 8);
    pool.close();
    expect(pool.available).toBe(0);
  });

  it("its blinds are made for its key: the round trip gives the key's output", () => {
    const key = oprf.generateKey("k");
    const pool = new BlindingPool(oprf, oprf.publicKey(key), 2);
    const input = Buffer.from("synthetic input");
    const blind = pool.take();
    const evaluated = oprf.blindEvaluate(key, oprf.blindAdditively(input, blind));
    if (!evaluated.ok) throw new Error(evaluated.error);
    const output = oprf.finalizeAdditively(input, blind, evaluated.value);
    expect(output.ok && hex(output.value)).toBe(hex(oprf.evaluate(key, input)));
    pool.close();
  });

  it("makes no more once closed", async () => {
    const pool = new BlindingPool(oprf, oprf.publicKey(oprf.generateKey("k")), 4);
    pool.close();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(pool.available).toBe(0);
  });
});
