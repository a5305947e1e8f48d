/**
 * A small portable SQL handle for stores that need no more than queries and transactions
 * (the guard's database): the same `?`-placeholder SQL runs on SQLite (better-sqlite3) and
 * PostgreSQL (pg). Schemas come from numbered files in a migrations folder, applied by the
 * same migrator as the lookup service's storage (migrations.ts).
 *
 * SQLite calls are serialised through one queue: a transaction's statements never
 * interleave with another caller's, although better-sqlite3 itself is synchronous.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { migrate, shippedMigrations, type Migration } from "./migrations.js";
import { createPrivateFile } from "./private-files.js";

/** Statement parameters. */
export type SqlParams = readonly (string | number | bigint | null)[];

/** Queries on a database or inside one transaction. Placeholders are `?`. */
export interface SqlExecutor {
  /** The rows a query answers. */
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  /** Runs a statement; answers how many rows it changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
}

/** A database with its schema migrated. */
export interface SqlDatabase extends SqlExecutor {
  readonly dialect: "sqlite" | "postgres";
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens `sqlite:PATH` (`sqlite::memory:` too) or `postgres://…` and applies the migrations
 * of `migrationsDir`.
 */
export async function openSqlDatabase(url: string, migrationsDir: string): Promise<SqlDatabase> {
  const migrations = shippedMigrations(migrationsDir);
  return url.startsWith("sqlite:")
    ? openSqlite(url.slice("sqlite:".length), migrations)
    : openPostgres(url, migrations);
}

const MIGRATIONS_TABLE =
  "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
const RECORD_MIGRATION =
  "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";

async function openSqlite(path: string, migrations: Migration[]): Promise<SqlDatabase> {
  if (path !== ":memory:") createPrivateFile(path);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 1000");
  const direct: SqlExecutor = {
    all: async <T>(sql: string, params: SqlParams = []) => db.prepare(sql).all(...params) as T[],
    run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
  };
  // One caller at a time: each call (or whole transaction) waits for the previous one.
  let tail: Promise<unknown> = Promise.resolve();
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };
  await queued(() =>
    migrate(
      {
        appliedVersions: async () => {
          db.exec(MIGRATIONS_TABLE);
          return db.prepare("SELECT version FROM schema_migrations").pluck().all() as number[];
        },
        apply: async (m, now) => {
          db.transaction(() => {
            db.exec(m.sql);
            db.prepare(RECORD_MIGRATION).run(m.version, m.name, now);
          }).immediate();
        },
      },
      migrations,
    ),
  );
  return {
    dialect: "sqlite",
    all: (sql, params) => queued(() => direct.all(sql, params)),
    run: (sql, params) => queued(() => direct.run(sql, params)),
    transaction: (work) =>
      queued(async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await work(direct);
          db.exec("COMMIT");
          return result;
        } catch (e) {
          db.exec("ROLLBACK");
          throw e;
        }
      }),
    close: () =>
      queued(async () => {
        db.close();
      }),
  };
}

/** `?` placeholders → `$1, $2, …` (the SQL this module runs holds no `?` in literals). */
export function postgresPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function postgresExecutor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async <T>(sql: string, params: SqlParams = []) =>
      (await client.query(postgresPlaceholders(sql), [...params])).rows as T[],
    run: async (sql, params = []) =>
      (await client.query(postgresPlaceholders(sql), [...params])).rowCount ?? 0,
  };
}

/** PostgreSQL's type parsers, but BIGINT (OID 20) as a number, as SQLite answers it. */
const INT8_OID = 20;
const bigintsAsNumbers = ((oid: number, format?: "text" | "binary"): unknown =>
  oid === INT8_OID
    ? (value: string) => Number(value)
    : (pg.types.getTypeParser(oid, format ?? "text") as unknown)) as typeof pg.types.getTypeParser;

async function openPostgres(url: string, migrations: Migration[]): Promise<SqlDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 5000,
    statement_timeout: 10_000,
    // BIGINT (times, counts) as numbers, as SQLite answers them; ours stay below 2^53.
    types: { getTypeParser: bigintsAsNumbers },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  const transaction = async <T>(
    work: (tx: SqlExecutor, client: pg.PoolClient) => Promise<T>,
  ): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(postgresExecutor(client), client);
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  };
  try {
    await transaction(async (tx, client) => {
      // Concurrent migrators (several guard processes) wait for each other.
      await client.query("SET LOCAL statement_timeout = 0");
      await client.query("SELECT pg_advisory_xact_lock(hashtext('redlight_sql_migrations'))");
      await migrate(
        {
          appliedVersions: async () => {
            await tx.run(MIGRATIONS_TABLE);
            const rows = await tx.all<{ version: number }>("SELECT version FROM schema_migrations");
            return rows.map((r) => Number(r.version));
          },
          apply: async (m, now) => {
            await client.query(m.sql);
            await tx.run(RECORD_MIGRATION, [m.version, m.name, now]);
          },
        },
        migrations,
      );
    });
  } catch (e) {
    await pool.end();
    throw e;
  }
  return {
    dialect: "postgres",
    ...postgresExecutor(pool),
    transaction: (work) => transaction((tx) => work(tx)),
    close: () => pool.end(),
  };
}
