/** Opens the storage named by the `database` config key. */
import { PostgresStorage } from "./postgres.js";
import { SqliteStorage, type SqliteOptions } from "./sqlite.js";
import type { Storage } from "./storage.js";

/** `sqlite:PATH` or `postgres://…` → a migrated Storage. */
export async function openStorage(database: string, options: SqliteOptions = {}): Promise<Storage> {
  if (database.startsWith("sqlite:")) {
    return SqliteStorage.open(database.slice("sqlite:".length), options);
  }
  return PostgresStorage.open(database);
}
