/**
 * The guard's own database (`guard.database`): SQLite by default, PostgreSQL with a
 * `postgres://` URL. Its schema lives in `migrations/guard/`; each feature keeps its tables
 * there and its queries beside its code. `Cursors` is the shared piece: named positions
 * that background work resumes from after a restart.
 */
import { fileURLToPath } from "node:url";
import { openSqlDatabase, type SqlDatabase, type SqlExecutor } from "./sql-database.js";

// Two levels up from both src/storage/ and dist/storage/.
const GUARD_MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/guard/", import.meta.url));

/** Opens and migrates the guard's database. */
export function openGuardDatabase(url: string): Promise<SqlDatabase> {
  return openSqlDatabase(url, GUARD_MIGRATIONS_DIR);
}

/** Named positions kept across restarts (the `cursors` table). */
export class Cursors {
  constructor(private readonly db: SqlExecutor) {}

  async get(name: string): Promise<string | undefined> {
    const rows = await this.db.all<{ value: string }>("SELECT value FROM cursors WHERE name = ?", [
      name,
    ]);
    return rows[0]?.value;
  }

  async set(name: string, value: string, now: number): Promise<void> {
    await this.db.run(
      "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      [name, value, now],
    );
  }
}
