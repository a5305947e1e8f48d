import { existsSync, statSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresHandle } from "./postgres.js";

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe("startPostgres", () => {
  let handle: PostgresHandle | undefined;

  beforeAll(async () => {
    handle = await startPostgres();
    // Visible in the test output; useful for keeping an eye on CI start-up cost.
    console.log(`PostgreSQL cluster started in ${handle.startupMs} ms at ${handle.url}`);
  });

  afterAll(async () => {
    await handle?.stop();
  });

  it("serves a superuser URL on loopback from a private temp dir", async () => {
    const h = handle!;
    expect(h.host).toBe("127.0.0.1");
    expect(h.url).toBe(`postgres://postgres@127.0.0.1:${h.port}/postgres`);
    expect(h.baseDir && statSync(h.baseDir).isDirectory()).toBe(true);
    const [row] = await query<{ user: string; fsync: string; version: number }>(
      h.url,
      "SELECT current_user AS user, current_setting('fsync') AS fsync, current_setting('server_version_num')::int AS version",
    );
    expect(row).toEqual({ user: "postgres", fsync: "off", version: expect.any(Number) });
    expect(row!.version).toBeGreaterThanOrEqual(130000);
  });

  it("creates isolated databases", async () => {
    const h = handle!;
    const a = await h.createDatabase();
    const b = await h.createDatabase("suite_b");
    expect(b).toBe(`postgres://postgres@127.0.0.1:${h.port}/suite_b`);

    await query(a, "CREATE TABLE t (v text)");
    await query(a, "INSERT INTO t VALUES ($1)", ["in a"]);
    await query(b, "CREATE TABLE t (v text)");
    await query(b, "INSERT INTO t VALUES ($1), ($2)", ["in b", "also b"]);

    expect(await query(a, "SELECT current_database() AS db, count(*)::int AS n FROM t")).toEqual([
      { db: new URL(a).pathname.slice(1), n: 1 },
    ]);
    expect(await query(b, "SELECT current_database() AS db, count(*)::int AS n FROM t")).toEqual([
      { db: "suite_b", n: 2 },
    ]);
    expect(
      await query(
        b,
        "SELECT 'é'::text AS s, pg_encoding_to_char(encoding) AS enc FROM pg_database WHERE datname = 'suite_b'",
      ),
    ).toEqual([{ s: "é", enc: "UTF8" }]);

    await expect(h.createDatabase("Bad-Name")).rejects.toThrow(/invalid database name/);
  });

  it("runs clusters side by side and removes the temp dir on stop", async () => {
    const [x, y] = await Promise.all([startPostgres(), startPostgres()]);
    try {
      expect(x.port).not.toBe(y.port);
      expect(x.baseDir).not.toBe(y.baseDir);
      expect(await query(x.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      expect(await query(y.url, "SELECT 2 AS two")).toEqual([{ two: 2 }]);
    } finally {
      await Promise.all([x.stop(), y.stop()]);
    }
    expect(existsSync(x.baseDir!)).toBe(false);
    expect(existsSync(y.baseDir!)).toBe(false);
    await expect(query(x.url, "SELECT 1")).rejects.toThrow();
    await x.stop(); // idempotent
  });

  it("stop() shuts the main cluster down and removes its temp dir", async () => {
    const h = handle!;
    const dir = h.baseDir!;
    await h.stop();
    expect(existsSync(dir)).toBe(false);
    await expect(query(h.url, "SELECT 1")).rejects.toThrow();
  });
});
