/**
 * PostgreSQL, for real: the storage contract suite, and two lookup processes on one
 * database sharing freezes and quotas ("two lookup processes on one database").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { shippedMigrations } from "../src/storage/migrations.js";
import { PostgresStorage } from "../src/storage/postgres.js";
import { describeStorageContract } from "./contracts/storage.contract.js";
import {
  cleanRoom,
  listedRoom,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";

let pgServer: PostgresHandle;
beforeAll(async () => {
  pgServer = await usePostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

describeStorageContract("PostgreSQL", async () =>
  PostgresStorage.open(await pgServer.createDatabase()),
);

describe("PostgreSQL migrations", () => {
  it("lets concurrent processes migrate one database safely, once", async () => {
    const url = await pgServer.createDatabase();
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStorage.open(url)));
    await Promise.all(stores.map((s) => s.close()));
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const r = await client.query<{ n: string }>("SELECT count(*) AS n FROM schema_migrations");
    await client.end();
    // Each shipped migration exactly once.
    expect(Number(r.rows[0]?.n)).toBe(shippedMigrations().length);
  });
});

describe("two lookup processes on one database", () => {
  let a: LookupFixture;
  let b: LookupFixture;
  let token: string;

  beforeAll(async () => {
    const database = await pgServer.createDatabase();
    const lookup = {
      rate_limits: { user: { requests: 10, per: "1m" }, directory: { requests: 150, per: "1m" } },
      sync_interval: "100ms",
    };
    a = await startLookupFixture({
      database,
      lookup,
      clients: [{ name: "hs1", scopes: ["directory"] }],
    });
    token = a.tokens.hs1 as string;
    // The second process shares the clients table: reuse a's client instead of adding one.
    b = await startLookupFixture({ database, lookup, clients: [] });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  const settle = () => new Promise((r) => setTimeout(r, 400));

  it("share freezes: hits on either process count, and both deny afterwards", async () => {
    const user = "@roaming:example.org";
    expect((await a.lookup(token, listedRoom(1), user)).status).toBe(200);
    expect((await b.lookup(token, listedRoom(2), user)).status).toBe(200);
    const third = await a.lookup(token, listedRoom(3), user);
    expect(await third.json()).toMatchObject({ frozen: true });
    await settle();
    expect((await b.lookup(token, cleanRoom(1), user)).status).toBe(403);
    expect((await a.lookup(token, cleanRoom(1), user)).status).toBe(403);
  });

  it("share quotas: a user's lookups on both processes add up", async () => {
    const user = "@split:example.org";
    for (let i = 0; i < 6; i++)
      expect((await a.lookup(token, cleanRoom(i), user)).status).toBe(204);
    await settle();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await b.lookup(token, cleanRoom(i), user)).status);
    // 10 per minute in all: b may serve only about 4 more.
    expect(statuses.filter((s) => s === 204).length).toBeLessThanOrEqual(5);
    expect(statuses).toContain(429);
  });

  it("share the directory quota: batch checks on both processes add up", async () => {
    const check = (f: LookupFixture, rooms: string[]) =>
      f.request("/_matrix/loj/v1/check", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ room_id_hashes: rooms.map(ljs4Hash) }),
      });
    const rooms = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => cleanRoom(1000 + from + i));
    expect((await check(a, rooms(0, 100))).status).toBe(200);
    expect((await check(a, rooms(100, 40))).status).toBe(200);
    // b alone would serve 150 hashes; once it learns a's 140 it serves about 10 more.
    let served = 0;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await check(b, rooms(200 + served, 1));
      if (r.status === 429) break;
      expect(r.status).toBe(200);
      served++;
      if (Date.now() > deadline) throw new Error("b never learned a's batch checks");
      await new Promise((done) => setTimeout(done, 20));
    }
    expect(served).toBeLessThan(100);
  });
});
