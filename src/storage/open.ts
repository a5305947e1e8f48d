/** Opens the storage named by the `database` config key. */
import { PostgresStorage } from "./postgres.js";
import { SqliteStorage } from "./sqlite.js";
import type { Storage } from "./storage.js";

/** `sqlite:PATH` or `postgres://…` → a migrated Storage. */
export async function openStorage(database: string): Promise<Storage> {
  if (database.startsWith("sqlite:")) return SqliteStorage.open(database.slice("sqlite:".length));
  return PostgresStorage.open(database);
}
