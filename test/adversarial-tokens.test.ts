/**
 * Token guessing. Over HTTP: repeated bad tokens from one address are throttled
 * (429) — right or wrong, further tokens are not even checked — without locking out other
 * addresses, and a forged X-Forwarded-For does not reset the count. In the registry: tokens
 * are found by their SHA-256 and confirmed with timingSafeEqual over two 32-byte digests,
 * so no comparison ever touches the token's characters and nothing depends on how long a
 * prefix of it a guess got right. (No wall-clock timing test: it would be flaky; the
 * mechanism is what we check.)
 */
import * as crypto from "node:crypto";
import { inspect } from "node:util";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { generateToken, tokenHash } from "../src/core/token.js";
import { ClientRegistry } from "../src/services/lookup/client-registry.js";
import {
  cleanRoom,
  readLog,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";

vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

function registryWith(tokens: readonly string[]): ClientRegistry {
  const registry = new ClientRegistry(["csam"]);
  registry.replace(
    tokens.map((t, i) => ({
      name: `hs${i}`,
      tokenHash: tokenHash(t),
      tags: null,
      allowIps: [],
      scopes: [],
      createdAt: 0,
      updatedAt: 0,
      revokedAt: null,
    })),
  );
  return registry;
}

/** A guess that gets the first `k` characters of `token` right and the rest wrong. */
const guessWithPrefix = (token: string, k: number, tail: string) =>
  token.slice(0, k) +
  [...tail].map((c, i) => (c === token[k + i] ? (c === "a" ? "b" : "a") : c)).join("");

describe("token comparison in the registry", () => {
  beforeEach(() => {
    timingSafeEqual.mockClear();
  });

  it("confirms a right token with one timingSafeEqual over the two SHA-256 digests", () => {
    const token = generateToken();
    const registry = registryWith([generateToken(), token, generateToken()]);
    expect(registry.authenticate(token).ok).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = timingSafeEqual.mock.calls[0] as [Buffer, Buffer];
    expect(a.length).toBe(32);
    expect(b.length).toBe(32);
    expect(a.toString("hex")).toBe(tokenHash(token));
    expect(a.includes(Buffer.from(token.slice(0, 8)))).toBe(false);
  });

  it("treats a guess the same whatever prefix of a real token it gets right", () => {
    const alphabet = fc.constantFrom(
      ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 39 }),
        fc.string({ unit: alphabet, minLength: 40, maxLength: 40 }),
        (k, tail) => {
          const token = generateToken();
          const registry = registryWith([token]);
          timingSafeEqual.mockClear();
          const guess = guessWithPrefix(token, k, tail.slice(0, 40 - k));
          const result = registry.authenticate(guess);
          // The same refusal, and no comparison at all: the digest of a near miss is a
          // stranger to the map, exactly like the digest of a wild guess.
          expect(result).toEqual({
            ok: false,
            error: { status: 401, errcode: "M_UNKNOWN_TOKEN", error: "unknown or revoked token" },
          });
          expect(timingSafeEqual).not.toHaveBeenCalled();
          // A right prefix gives no head start in the digest the lookup keys on.
          const common = [...tokenHash(guess)].findIndex((c, i) => c !== tokenHash(token)[i]);
          expect(common).toBeLessThan(8);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("keeps no token in memory, only digests", () => {
    const token = generateToken();
    const registry = registryWith([token]);
    const shown = inspect(registry, { depth: 10 });
    expect(shown).not.toContain(token);
    expect(shown).toContain(tokenHash(token));
  });
});

describe("token guessing over HTTP", () => {
  let fx: LookupFixture | undefined;
  afterEach(async () => {
    await fx?.stop();
    fx = undefined;
  });
  const lookupFrom = (f: LookupFixture, token: string, forwardedFor?: string) =>
    f.request("/_matrix/loj/v1/abuse_lookup", {
      method: "PUT",
      headers: {
        authorization: `Bearer ${token}`,
        ...(forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }),
      },
      body: JSON.stringify({
        room_id_hash: ljs4Hash(cleanRoom(1)),
        user_id_hash: ljs4Hash("@guess:example.org"),
      }),
    });

  it("throttles one guessing address, not its neighbours, and says so once", async () => {
    fx = await startLookupFixture({
      lookup: {
        trusted_proxies: ["127.0.0.1/32"],
        rate_limits: { bad_token: { requests: 5, per: "1m" } },
      },
    });
    const right = fx.tokens.hs1 as string;
    const guesses = fc.sample(fc.stringMatching(/^[A-Za-z0-9]{40}$/), 5);
    for (const g of guesses) expect((await lookupFrom(fx, g, "203.0.113.7")).status).toBe(401);
    expect((await lookupFrom(fx, right, "203.0.113.7")).status).toBe(429); // not even checked
    expect((await lookupFrom(fx, guessWithPrefix(right, 39, "x"), "203.0.113.7")).status).toBe(429);
    expect((await lookupFrom(fx, right, "203.0.113.8")).status).toBe(204); // a neighbour
    const warnings = readLog(fx)
      .split("\n")
      .filter((l) => l.includes('"quota exceeded"') && l.includes('"quota":"bad_token"'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("203.0.113.7");
    expect(readLog(fx)).not.toContain(right);
    for (const g of guesses) expect(readLog(fx)).not.toContain(g);
  });

  it("does not let an untrusted X-Forwarded-For reset the count", async () => {
    fx = await startLookupFixture({
      lookup: { rate_limits: { bad_token: { requests: 5, per: "1m" } } },
    });
    for (let i = 0; i < 5; i++) {
      expect((await lookupFrom(fx, "W".repeat(40), `198.51.100.${i}`)).status).toBe(401);
    }
    expect((await lookupFrom(fx, fx.tokens.hs1 as string, "198.51.100.77")).status).toBe(429);
  });
});
