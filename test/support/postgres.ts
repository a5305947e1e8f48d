// Throwaway PostgreSQL clusters for integration tests.
//
//   const pg = await startPostgres();          // initdb + start, ~0.7 s
//   const url = await pg.createDatabase();      // fresh database per suite
//   ...
//   await pg.stop();                            // fast shutdown, temp dir removed
//
// Every cluster lives in its own fresh temp dir (data dir, unix socket, log) and listens on
// 127.0.0.1 on a port the kernel reported free, so any number of test files may start
// clusters concurrently. Authentication is `trust` (loopback and socket only), superuser
// `postgres`. Durability is switched off (fsync, full_page_writes, synchronous_commit) - the
// data is thrown away anyway.
//
// initdb and postgres refuse to run as root, so when the tests run as root (CI) both run as
// the `postgres` system user (created by the Debian package) via `runuser`, and the temp dir
// is chowned to it. Server binaries: $REDLIGHT_PG_BINDIR, else the highest
// /usr/lib/postgresql/<major>/bin, else `pg_config --bindir`, else initdb on $PATH.
// `bash scripts/ensure-postgres.sh` installs them if missing.
//
// `usePostgres()` is the variant suites should normally call: it connects to an already
// running server if REDLIGHT_TEST_POSTGRES_URL is set (see postgres-global-setup.ts, or point
// it at a server of your own), and otherwise starts a private cluster.

import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  accessSync,
  chownSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { appendFile, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export interface PostgresHandle {
  /** Superuser connection string for the `postgres` database. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Temp dir holding data dir, unix socket and server log (`postgres.log`); undefined for a shared server. */
  readonly baseDir: string | undefined;
  /** Milliseconds spent in initdb + server start (0 for a shared server). */
  readonly startupMs: number;
  /** Creates a database (random name if omitted) and returns a superuser URL for it. */
  createDatabase(name?: string): Promise<string>;
  /** Private cluster: fast shutdown and remove the temp dir. Shared server: drop the databases this handle created. Idempotent. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Extra/overriding postgresql.conf settings. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
}

/** Env var through which a shared server is handed to suites (see postgres-global-setup.ts). */
export const SHARED_URL_ENV = "REDLIGHT_TEST_POSTGRES_URL";

const SUPERUSER = "postgres";
const OS_USER = "postgres"; // system user the server runs as when we are root
const COMMAND_TIMEOUT_MS = 120_000;

const DEFAULT_SETTINGS: Readonly<Record<string, string | number | boolean>> = {
  listen_addresses: "127.0.0.1",
  // Durability is pointless for throwaway data.
  fsync: false,
  synchronous_commit: false,
  full_page_writes: false,
  wal_level: "minimal",
  max_wal_senders: 0,
  // Less background work competing for the CI machine's two cores.
  autovacuum: false,
  jit: false,
  max_parallel_workers_per_gather: 0,
  shared_buffers: "32MB",
  max_connections: 100,
  timezone: "UTC",
  log_timezone: "UTC",
  logging_collector: false,
  log_min_messages: "warning",
  log_line_prefix: "%m [%p] %q%u@%d ",
};

// ---------------------------------------------------------------------------------------
// Binaries and users

let cachedBinDir: string | undefined;

/** Directory containing initdb, pg_ctl and postgres. Throws with an install hint if absent. */
export function findPostgresBinDir(): string {
  if (cachedBinDir !== undefined) return cachedBinDir;
  const ok = (dir: string): boolean =>
    ["initdb", "pg_ctl", "postgres"].every((b) => isExecutable(path.join(dir, b)));

  const fromEnv = process.env["REDLIGHT_PG_BINDIR"];
  if (fromEnv) {
    if (!ok(fromEnv))
      throw new Error(`REDLIGHT_PG_BINDIR=${fromEnv} does not contain initdb, pg_ctl and postgres`);
    return (cachedBinDir = fromEnv);
  }
  const candidates: string[] = [];
  try {
    const majors = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    candidates.push(...majors.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not a Debian-style layout
  }
  try {
    // Debian's libpq-dev pg_config reports the server bindir even without a server: ok() checks.
    candidates.push(
      execFileSync("pg_config", ["--bindir"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim(),
    );
  } catch {
    // no pg_config
  }
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter))
    if (dir) candidates.push(dir);
  const found = candidates.find(ok);
  if (found === undefined) {
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; run `bash scripts/ensure-postgres.sh` or set REDLIGHT_PG_BINDIR",
    );
  }
  return (cachedBinDir = found);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

const runningAsRoot = (): boolean => process.getuid?.() === 0;

let cachedOsUser: { uid: number; gid: number } | undefined;
function osUserIds(): { uid: number; gid: number } {
  if (cachedOsUser) return cachedOsUser;
  // /etc/passwd rather than `id`: one file read, no process.
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${OS_USER}:`));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      `running as root, but there is no '${OS_USER}' system user to run PostgreSQL as (install the postgresql package: bash scripts/ensure-postgres.sh)`,
    );
  }
  return (cachedOsUser = { uid: Number(uid), gid: Number(gid) });
}

/** Environment for PostgreSQL processes: no stray PG* variables, predictable locale and zone. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("PG") && !k.startsWith("LC_")) env[k] = v;
  env["LC_ALL"] = "C";
  env["LANG"] = "C";
  env["TZ"] = "UTC";
  return env;
}

/** Runs a PostgreSQL tool, as the postgres system user when we are root. */
function run(
  bin: string,
  args: readonly string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  const [file, argv] = runningAsRoot()
    ? ["runuser", ["-u", OS_USER, "--", bin, ...args]]
    : [bin, [...args]];
  return new Promise((resolve, reject) => {
    // cwd: the postgres user may not be able to enter the caller's directory (e.g. under /root).
    execFile(
      file,
      argv,
      { cwd, env: childEnv(), timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            Object.assign(
              new Error(`${path.basename(bin)} failed: ${err.message}\n${stdout}${stderr}`.trim()),
              { stdout, stderr },
            ),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

// ---------------------------------------------------------------------------------------
// Temp dir and port

/** Unix socket paths are limited to 107 bytes; `<dir>/.s.PGSQL.NNNNN` must fit. */
const MAX_SOCKET_DIR_LEN = 107 - "/.s.PGSQL.65535".length;

function tempParent(): string {
  const candidates = [tmpdir(), "/tmp"];
  // When root, the postgres user must be able to reach the dir: every ancestor needs o+x.
  const reachable = (dir: string): boolean => {
    if (!runningAsRoot()) return true;
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      try {
        if ((statSync(d).mode & 0o001) === 0) return false;
      } catch {
        return false;
      }
      if (d === path.dirname(d)) return true;
    }
  };
  return candidates.find((d) => reachable(d) && d.length + 20 <= MAX_SOCKET_DIR_LEN) ?? "/tmp";
}

/** A port that was free on 127.0.0.1 a moment ago (the kernel picks it, so concurrent callers differ). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() =>
        addr !== null && typeof addr === "object"
          ? resolve(addr.port)
          : reject(new Error("no port")),
      );
    });
  });
}

// ---------------------------------------------------------------------------------------
// Clean-up if the process exits without stop() (failed beforeAll, forgotten afterAll, ...)

const live = new Map<string, { dataDir: string; baseDir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const { dataDir, baseDir } of live.values()) {
      try {
        const pid = Number(
          readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0],
        );
        if (pid > 0) process.kill(pid, "SIGQUIT"); // immediate shutdown
      } catch {
        // not running
      }
      try {
        rmSync(baseDir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

// ---------------------------------------------------------------------------------------
// Databases

const DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function randomDbName(): string {
  return `t_${randomBytes(6).toString("hex")}`;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates a database on the server at `adminUrl` (a superuser URL) and returns its URL. */
export async function createDatabase(
  adminUrl: string,
  name: string = randomDbName(),
): Promise<string> {
  if (!DB_NAME.test(name))
    throw new Error(`invalid database name ${JSON.stringify(name)} (want ${DB_NAME})`);
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  return withDatabase(adminUrl, name);
}

/** Drops a database, disconnecting any remaining sessions (PostgreSQL >= 13). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!DB_NAME.test(name)) throw new Error(`invalid database name ${JSON.stringify(name)}`);
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

// ---------------------------------------------------------------------------------------
// Clusters

function confValue(v: string | number | boolean): string {
  if (typeof v === "boolean") return v ? "on" : "off";
  if (typeof v === "number") return String(v);
  return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** initdb a fresh cluster in a new temp dir, start it on a free loopback port, wait until it accepts connections. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresHandle> {
  const t0 = performance.now();
  const binDir = findPostgresBinDir();
  const bin = (name: string): string => path.join(binDir, name);
  const asRoot = runningAsRoot();
  const ids = asRoot ? osUserIds() : undefined;

  const baseDir = mkdtempSync(path.join(tempParent(), "redlight-pg-"));
  const dataDir = path.join(baseDir, "data");
  const logFile = path.join(baseDir, "postgres.log");
  if (ids) chownSync(baseDir, ids.uid, ids.gid);
  installExitHook();
  live.set(baseDir, { dataDir, baseDir });

  const fail = async (err: unknown): Promise<never> => {
    const log = await readFile(logFile, "utf8").catch(() => "");
    live.delete(baseDir);
    await run(bin("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-s", "stop"], baseDir).catch(
      () => undefined,
    );
    await rm(baseDir, { recursive: true, force: true });
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`startPostgres failed: ${msg}${log ? `\n--- server log ---\n${log}` : ""}`);
  };

  try {
    await run(
      bin("initdb"),
      [
        "-D",
        dataDir,
        "-U",
        SUPERUSER,
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
      ],
      baseDir,
    );
    const settings = { ...DEFAULT_SETTINGS, unix_socket_directories: baseDir, ...options.settings };
    const conf = Object.entries(settings)
      .map(([k, v]) => `${k} = ${confValue(v)}`)
      .join("\n");
    // Appending as root keeps the file's owner (postgres).
    await appendFile(
      path.join(dataDir, "postgresql.conf"),
      `\n# redlight test settings\n${conf}\n`,
    );
  } catch (err) {
    return fail(err);
  }

  // Another process may grab the port between freePort() and the server's bind: retry.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await run(
        bin("pg_ctl"),
        ["-D", dataDir, "-l", logFile, "-o", `-p ${port}`, "-w", "-t", "60", "-s", "start"],
        baseDir,
      );
      break;
    } catch (err) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      if (
        attempt < 5 &&
        /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)
      ) {
        await rm(logFile, { force: true });
        continue;
      }
      return fail(err);
    }
  }

  const host = "127.0.0.1";
  const url = `postgres://${SUPERUSER}@${host}:${port}/postgres`;
  const startupMs = Math.round(performance.now() - t0);
  let stopped: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    user: SUPERUSER,
    baseDir,
    startupMs,
    createDatabase: (name?: string) => createDatabase(url, name),
    stop: () =>
      (stopped ??= (async () => {
        try {
          await run(
            bin("pg_ctl"),
            ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "-s", "stop"],
            baseDir,
          );
        } catch {
          // Fall back to an immediate shutdown so that the directory can go.
          await run(
            bin("pg_ctl"),
            ["-D", dataDir, "-m", "immediate", "-w", "-s", "stop"],
            baseDir,
          ).catch(() => undefined);
        } finally {
          live.delete(baseDir);
          await rm(baseDir, { recursive: true, force: true });
        }
      })()),
  };
}

/**
 * What a suite should normally use in `beforeAll`: if REDLIGHT_TEST_POSTGRES_URL is set (by
 * postgres-global-setup.ts, or by hand to use an existing server) returns a handle on that
 * server whose stop() drops the databases it created; otherwise starts a private cluster.
 */
export async function usePostgres(options: StartPostgresOptions = {}): Promise<PostgresHandle> {
  const shared = process.env[SHARED_URL_ENV];
  if (!shared) return startPostgres(options);
  const u = new URL(shared);
  const created: string[] = [];
  let stopped: Promise<void> | undefined;
  return {
    url: shared,
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    baseDir: undefined,
    startupMs: 0,
    createDatabase: async (name?: string) => {
      const dbName = name ?? randomDbName();
      const url = await createDatabase(shared, dbName);
      created.push(dbName);
      return url;
    },
    stop: () =>
      (stopped ??= (async () => {
        for (const name of created) await dropDatabase(shared, name);
      })()),
  };
}
