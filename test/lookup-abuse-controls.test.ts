/**
 * Abuse controls of the lookup service over real HTTP: freezes and unfreezes, quotas,
 * token-guessing throttle, whitelist changes reaching a running server, list reloads.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { generateToken, tokenHash } from "../src/core/token.js";
import { openStorage } from "../src/storage/open.js";
import {
  cleanRoom,
  listedRoom,
  startLookupFixture,
  syntheticRdlist,
  type LookupFixture,
} from "./support/lookup-fixture.js";

let fx: LookupFixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

async function errcode(r: Response): Promise<string | undefined> {
  const body = (await r.json()) as { error: { errcode: string } | null };
  return body.error?.errcode;
}

/** Waits for a condition; generous, for a busy machine: the wait ends with the condition. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("freezes", () => {
  it("freezes a pseudonym on its third hit, for every room, for that client only", async () => {
    fx = await startLookupFixture({ clients: [{ name: "hs1" }, { name: "hs2" }] });
    const [t1, t2] = [fx.tokens.hs1 as string, fx.tokens.hs2 as string];
    const user = "@curious:example.org";
    expect((await fx.lookup(t1, listedRoom(1), user)).status).toBe(200);
    // A quick repeat on the same room counts once.
    expect((await fx.lookup(t1, listedRoom(1), user)).status).toBe(200);
    expect((await fx.lookup(t1, listedRoom(2), user)).status).toBe(200);
    expect((await fx.lookup(t1, cleanRoom(1), user)).status).toBe(204);
    const third = await fx.lookup(t1, listedRoom(3), user);
    expect(third.status).toBe(200);
    expect(await third.json()).toMatchObject({ report_id: "report-3", frozen: true });
    const after = await fx.lookup(t1, cleanRoom(1), user);
    expect(after.status).toBe(403);
    expect(await errcode(after)).toBe("LOJ_ACCOUNT_FROZEN");
    expect((await fx.lookup(t1, cleanRoom(1), "@someone-else:example.org")).status).toBe(204);
    expect((await fx.lookup(t2, cleanRoom(1), user)).status).toBe(204);
  });

  it("is lifted only by the owning client, and the freeze survives a restart", async () => {
    fx = await startLookupFixture({ clients: [{ name: "hs1" }, { name: "hs2" }] });
    const [t1, t2] = [fx.tokens.hs1 as string, fx.tokens.hs2 as string];
    const user = "@curious:example.org";
    for (const n of [1, 2, 3]) await fx.lookup(t1, listedRoom(n), user);
    const unfreeze = (t: string) =>
      fx!.request("/_matrix/loj/v1/unfreeze", {
        method: "POST",
        headers: { authorization: `Bearer ${t}` },
        body: JSON.stringify({ user_id_hash: ljs4Hash(user) }),
      });
    expect(await (await unfreeze(t2)).json()).toEqual({ error: null, unfrozen: false });
    expect((await fx.lookup(t1, cleanRoom(1), user)).status).toBe(403);

    // Restart on the same database: the freeze is still there.
    await fx.handle.stop();
    const { startLookup } = await import("../src/services/lookup/main.js");
    const { createLogger } = await import("../src/observability/logger.js");
    const restarted = await startLookup(fx.config, createLogger("fatal", "lookup"));
    const again = (t: string) =>
      fetch(`${restarted.apiUrl}/_matrix/loj/v1/abuse_lookup`, {
        method: "PUT",
        headers: { authorization: `Bearer ${t}` },
        body: JSON.stringify({
          room_id_hash: ljs4Hash(cleanRoom(1)),
          user_id_hash: ljs4Hash(user),
        }),
      });
    expect((await again(t1)).status).toBe(403);
    const lifted = await fetch(`${restarted.apiUrl}/_matrix/loj/v1/unfreeze`, {
      method: "POST",
      headers: { authorization: `Bearer ${t1}` },
      body: JSON.stringify({ user_id_hash: ljs4Hash(user) }),
    });
    expect(await lifted.json()).toEqual({ error: null, unfrozen: true });
    expect((await again(t1)).status).toBe(204);
    await restarted.stop();
    const { rmSync } = await import("node:fs");
    rmSync(fx.dir, { recursive: true, force: true });
    fx = undefined;
  });
});

describe("quotas", () => {
  it("limits lookups per user pseudonym with 429 and a retry time", async () => {
    fx = await startLookupFixture({
      lookup: { rate_limits: { user: { requests: 5, per: "1m" } } },
    });
    const t = fx.tokens.hs1 as string;
    for (let i = 0; i < 5; i++)
      expect((await fx.lookup(t, cleanRoom(i), "@busy:example.org")).status).toBe(204);
    const r = await fx.lookup(t, cleanRoom(9), "@busy:example.org");
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await r.json()) as { error: { errcode: string; retry_after_ms: number } };
    expect(body.error.errcode).toBe("M_LIMIT_EXCEEDED");
    expect(body.error.retry_after_ms).toBeGreaterThan(0);
    expect((await fx.lookup(t, cleanRoom(9), "@calm:example.org")).status).toBe(204);
  });

  it("limits lookups per client across all its users", async () => {
    fx = await startLookupFixture({
      lookup: { rate_limits: { client: { requests: 8, per: "1m" } } },
    });
    const t = fx.tokens.hs1 as string;
    const statuses = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await fx.lookup(t, cleanRoom(i), `@user${i}:example.org`)).status);
    expect(statuses.filter((s) => s === 204)).toHaveLength(8);
    expect(statuses.slice(8)).toEqual([429, 429]);
  });

  it("throttles an address that keeps guessing tokens, even when it then guesses right", async () => {
    fx = await startLookupFixture({
      lookup: { rate_limits: { bad_token: { requests: 3, per: "1m" } } },
    });
    for (let i = 0; i < 3; i++)
      expect((await fx.lookup("B".repeat(40), cleanRoom(1), "@x:example.org")).status).toBe(401);
    const r = await fx.lookup(fx.tokens.hs1, cleanRoom(1), "@x:example.org");
    expect(r.status).toBe(429);
  });
});

describe("the whitelist and the list change without restart", () => {
  it("honours added, rotated and revoked clients without a restart", async () => {
    fx = await startLookupFixture();
    const storage = await openStorage(fx.config.database);
    try {
      const token = generateToken();
      await storage.addClient(
        { name: "late", tokenHash: tokenHash(token), tags: null, allowIps: [], scopes: [] },
        Date.now(),
      );
      await eventually(
        async () => (await fx!.lookup(token, cleanRoom(1), "@a:example.org")).status === 204,
      );
      const rotated = generateToken();
      await storage.rotateToken("late", tokenHash(rotated), Date.now());
      await eventually(
        async () => (await fx!.lookup(token, cleanRoom(1), "@a:example.org")).status === 401,
      );
      expect((await fx.lookup(rotated, cleanRoom(1), "@a:example.org")).status).toBe(204);
      await storage.revokeClient("late", Date.now());
      await eventually(
        async () => (await fx!.lookup(rotated, cleanRoom(1), "@a:example.org")).status === 401,
      );
    } finally {
      await storage.close();
    }
  }, 180_000);

  it("reloads on command, and a corrupt list keeps the last good one in service", async () => {
    fx = await startLookupFixture({ rooms: 5 });
    const t = fx.tokens.hs1 as string;
    expect((await fx.lookup(t, listedRoom(50), "@r:example.org")).status).toBe(204);
    writeFileSync(join(fx.dir, "list.json"), syntheticRdlist(60));
    expect(await fx.handle.reload()).toEqual({ entries: 61 });
    expect((await fx.lookup(t, listedRoom(50), "@r:example.org")).status).toBe(200);
    writeFileSync(join(fx.dir, "list.json"), syntheticRdlist(60).slice(0, 500));
    expect(await fx.handle.reload()).toEqual({ entries: 61 });
    expect((await fx.lookup(t, listedRoom(51), "@r2:example.org")).status).toBe(200);
    const metrics = await (await fetch(`${fx.handle.operationsUrl}/metrics`)).text();
    expect(metrics).toMatch(/redlight_list_reload_failures_total 1/);
    const viaOps = await fetch(`${fx.handle.operationsUrl}/admin/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.operationsToken}` },
    });
    expect(await viaOps.json()).toEqual({ entries: 61 });
  });

  it("reloads on command only with the operations token, from no other site", async () => {
    fx = await startLookupFixture({ rooms: 5 });
    writeFileSync(join(fx.dir, "list.json"), syntheticRdlist(60));
    const reload = (headers: Record<string, string>) =>
      fetch(`${fx!.handle.operationsUrl}/admin/reload`, { method: "POST", headers });
    const refused: Array<[Record<string, string>, number, string]> = [
      [{}, 401, "M_MISSING_TOKEN"],
      [{ authorization: "Bearer wrong" }, 401, "M_UNKNOWN_TOKEN"],
      [
        { authorization: `Bearer ${fx.operationsToken}`, origin: "https://a.example" },
        403,
        "M_FORBIDDEN",
      ],
      [
        { authorization: `Bearer ${fx.operationsToken}`, "sec-fetch-site": "cross-site" },
        403,
        "M_FORBIDDEN",
      ],
      [
        { authorization: `Bearer ${fx.operationsToken}`, "content-type": "text/plain" },
        415,
        "M_NOT_JSON",
      ],
    ];
    for (const [headers, status, code] of refused) {
      const r = await reload(headers);
      expect(r.status, JSON.stringify(headers)).toBe(status);
      expect(await errcode(r)).toBe(code);
    }
    // Nothing was reloaded by the refused requests.
    const t = fx.tokens.hs1 as string;
    expect((await fx.lookup(t, listedRoom(50), "@r:example.org")).status).toBe(204);
    const ok = await reload({ authorization: `Bearer ${fx.operationsToken}` });
    expect(await ok.json()).toEqual({ entries: 61 });
    expect((await fetch(`${fx.handle.operationsUrl}/metrics`)).status).toBe(200);
  });

  it("answers 503 until a list is loaded, then serves", async () => {
    fx = await startLookupFixture({
      lookup: { sources: [{ file: "./missing.json", refresh: "100ms" }] },
    });
    const t = fx.tokens.hs1 as string;
    const r = await fx.lookup(t, listedRoom(1), "@early:example.org");
    expect(r.status).toBe(503);
    expect(await errcode(r)).toBe("M_UNKNOWN");
    expect((await fx.request("/ready")).status).toBe(503);
    writeFileSync(join(fx.dir, "missing.json"), syntheticRdlist(3));
    // The service's own readiness, then one lookup (polling lookups would count hits).
    await eventually(async () => (await fx!.request("/ready")).status === 200);
    expect((await fx.lookup(t, listedRoom(1), "@early:example.org")).status).toBe(200);
  }, 120_000);
});
