import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { shippedMigrations } from "./migrations.js";
import { SqliteStorage } from "./sqlite.js";
import { describeStorageContract } from "../../test/contracts/storage.contract.js";

describeStorageContract("SQLite", () => SqliteStorage.open(":memory:"));

describe("SQLite migrations", () => {
  it("creates the file, is idempotent, and refuses a database newer than the code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "redlight-sqlite-"));
    try {
      const path = join(dir, "nested", "redlight.db");
      await (await SqliteStorage.open(path)).close();
      await (await SqliteStorage.open(path)).close();
      const db = new Database(path);
      // Each shipped migration exactly once.
      expect(db.prepare("SELECT count(*) AS n FROM schema_migrations").get()).toEqual({
        n: shippedMigrations().length,
      });
      db.prepare(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
      ).run();
      db.close();
      await expect(SqliteStorage.open(path)).rejects.toThrow(/schema version 999, newer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SQLite background checkpoints", () => {
  it("moves the WAL into the database file from a worker, and stops with the storage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "redlight-sqlite-"));
    try {
      const path = join(dir, "redlight.db");
      const storage = await SqliteStorage.open(path, { checkpointInBackground: true });
      const before = statSync(path).size;
      const rule = { threshold: 1_000_000, windowMs: 60_000, repeatGraceMs: 0 };
      // About 2,500 WAL pages: below the connection's own backstop (10,000), so only the
      // worker can have copied them into the database file.
      for (let i = 0; i < 400; i++) {
        await storage.recordHit(
          { client: "hs1", userPseudonym: String(i).padStart(64, "0"), reportId: `r${i}`, at: i },
          rule,
        );
      }
      const deadline = Date.now() + 5000;
      while (statSync(path).size <= before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(statSync(path).size).toBeGreaterThan(before);
      await storage.close(); // resolves: the worker stopped and closed its connection
      const db = new Database(path, { readonly: true });
      expect(db.prepare("SELECT count(*) AS n FROM hits").get()).toEqual({ n: 400 });
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SQLite files on disk", () => {
  it("creates the folder 0700 and the database, its -wal and -shm 0600 under umask 022", async () => {
    const dir = mkdtempSync(join(tmpdir(), "redlight-sqlite-mode-"));
    const previous = process.umask(0o022);
    try {
      const path = join(dir, "data", "redlight.db");
      const storage = await SqliteStorage.open(path, { checkpointInBackground: true });
      // A write, so the WAL and shared-memory files exist while the database is open.
      await storage.addClient(
        { name: "hs1", tokenHash: "0".repeat(64), tags: null, allowIps: [], scopes: [] },
        Date.now(),
      );
      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(mode(join(dir, "data"))).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
      await storage.close();
    } finally {
      process.umask(previous);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
