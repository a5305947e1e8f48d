/**
 * Whole-database checks of a PostgreSQL database for fault and secrecy tests: index and heap
 * consistency with amcheck, and a full `pg_dump` (which also reads every row).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { findPostgresBinDir } from "./postgres.js";

/** Runs amcheck's bt_index_check (heapallindexed) over every index; answers the indexes checked. */
export async function checkPostgresIntegrity(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("CREATE EXTENSION IF NOT EXISTS amcheck");
    const r = await c.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_am am ON am.oid = c.relam
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE am.amname = 'btree' AND n.nspname = 'public'`,
    );
    for (const { name } of r.rows) {
      await c.query("SELECT bt_index_check(index => $1::regclass, heapallindexed => true)", [name]);
    }
    return r.rows.length;
  } finally {
    await c.end();
  }
}

/** The database as `pg_dump` writes it (schema and data, plain SQL). */
export function pgDump(url: string): string {
  return execFileSync(join(findPostgresBinDir(), "pg_dump"), ["--no-owner", "--dbname", url], {
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
}
