/**
 * The guard's database on SQLite and on a real PostgreSQL: migrations apply once, `?`
 * placeholders work on both, transactions commit or roll back whole, BIGINTs come back as
 * numbers, and cursors survive a reopen.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cursors, openGuardDatabase } from "../src/storage/guard-database.js";
import { postgresPlaceholders } from "../src/storage/sql-database.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";

let pgServer: PostgresHandle;
beforeAll(async () => {
  pgServer = await usePostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

it("numbers placeholders for PostgreSQL", () => {
  expect(postgresPlaceholders("SELECT ? , ?, x FROM t WHERE y = ?")).toBe(
    "SELECT $1 , $2, x FROM t WHERE y = $3",
  );
});

const backends: [string, () => Promise<string>][] = [
  ["SQLite", async () => `sqlite:${join(mkdtempSync(join(tmpdir(), "guard-db-")), "guard.db")}`],
  ["PostgreSQL", async () => pgServer.createDatabase()],
];

describe.each(backends)("guard database on %s", (_name, newUrl) => {
  it("keeps cursors across a reopen, and migrates once", async () => {
    const url = await newUrl();
    const first = await openGuardDatabase(url);
    const cursors = new Cursors(first);
    expect(await cursors.get("event_reports")).toBeUndefined();
    await cursors.set("event_reports", "17", 1_000);
    await cursors.set("event_reports", "42", 2_000);
    await first.close();

    const second = await openGuardDatabase(url);
    expect(await new Cursors(second).get("event_reports")).toBe("42");
    const versions = await second.all<{ version: number }>("SELECT version FROM schema_migrations");
    // Each shipped migration once (features add theirs to migrations/guard/).
    const shipped = readdirSync(new URL("../migrations/guard/", import.meta.url))
      .filter((f) => /^\d{3}_.+\.sql$/.test(f))
      .map((f) => Number(f.slice(0, 3)));
    expect(versions.map((v) => Number(v.version)).sort((a, b) => a - b)).toEqual(
      shipped.sort((a, b) => a - b),
    );
    const [row] = await second.all<{ updated_at: number; n: number }>(
      "SELECT updated_at, (SELECT count(*) FROM cursors) AS n FROM cursors WHERE name = ?",
      ["event_reports"],
    );
    expect(row).toEqual({ updated_at: 2_000, n: 1 });
    await second.close();
  });

  it("commits a transaction whole, or rolls it back whole", async () => {
    const db = await openGuardDatabase(await newUrl());
    const cursors = (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) => new Cursors(tx);
    await db.transaction(async (tx) => {
      await cursors(tx).set("a", "1", 1);
      await cursors(tx).set("b", "2", 1);
    });
    await expect(
      db.transaction(async (tx) => {
        await cursors(tx).set("a", "changed", 2);
        throw new Error("fault in the middle");
      }),
    ).rejects.toThrow("fault in the middle");
    expect(await new Cursors(db).get("a")).toBe("1");
    expect(await db.run("DELETE FROM cursors WHERE name IN (?, ?)", ["a", "b"])).toBe(2);
    await db.close();
  });
});
