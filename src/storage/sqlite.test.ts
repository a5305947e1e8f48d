import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteStorage } from "./sqlite.js";
import { describeStorageContract } from "./storage.contract.js";

describeStorageContract("SQLite", () => SqliteStorage.open(":memory:"));

describe("SQLite migrations", () => {
  it("creates the file, is idempotent, and refuses a database newer than the code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "redlight-sqlite-"));
    try {
      const path = join(dir, "nested", "redlight.db");
      await (await SqliteStorage.open(path)).close();
      await (await SqliteStorage.open(path)).close();
      const db = new Database(path);
      expect(db.prepare("SELECT count(*) AS n FROM schema_migrations").get()).toEqual({ n: 1 });
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
