/**
 * One migrator for SQLite and PostgreSQL: numbered plain-SQL files shipped in the
 * package's `migrations/` folder, each applied in its own transaction and recorded in
 * `schema_migrations`. A database migrated by newer code is refused rather than guessed at.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A migration file: `NNN_name.sql`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** What a database adapter provides to the migrator. */
export interface MigrationTarget {
  /** Creates `schema_migrations` if needed and lists the applied versions. */
  appliedVersions(): Promise<number[]>;
  /** Runs the migration's SQL and records it, in one transaction. */
  apply(migration: Migration, now: number): Promise<void>;
}

// Two levels up from both src/storage/ and dist/storage/.
const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

/** The migrations shipped with this code, in order. */
export function shippedMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(`${dir}${file}`, "utf8"),
    }));
}

/** Brings the database up to the shipped schema. */
export async function migrate(
  target: MigrationTarget,
  migrations = shippedMigrations(),
): Promise<number> {
  const applied = new Set(await target.appliedVersions());
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const ahead = [...applied].filter((v) => v > newest);
  if (ahead.length > 0) {
    throw new Error(
      `the database has schema version ${Math.max(...ahead)}, newer than this Redlight knows (${newest}); upgrade Redlight`,
    );
  }
  let count = 0;
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await target.apply(migration, Date.now());
    count++;
  }
  return count;
}
