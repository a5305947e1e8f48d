/**
 * Database faults: SQLite locked by another connection or out of space;
 * PostgreSQL locked, read-only or refusing connections. Throughout, lookups keep answering
 * promptly (a hit is never downgraded to "no match"), the fault is reported
 * (`redlight_storage_errors_total`, `/ready` 503), and the service recovers by itself.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  cleanRoom,
  listedRoom,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";

let fx: LookupFixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
};

async function storageErrors(f: LookupFixture): Promise<number> {
  const text = await (await fetch(`${f.handle.operationsUrl}/metrics`)).text();
  return [...text.matchAll(/^redlight_storage_errors_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * While the fault lasts: health, clean lookups and hits answer within `budgetMs`, hits as
 * matches; the fault shows in the metric and in /ready. After `heal`, /ready recovers and
 * a pseudonym freezes on its third hit again (writes work).
 */
async function survives(f: LookupFixture, heal: () => Promise<void>, budgetMs: number, rounds = 5) {
  const t = f.tokens.hs1 as string;
  const errorsBefore = await storageErrors(f);
  for (let i = 0; i < rounds; i++) {
    const [health, healthMs] = await timed(() => f.request("/health"));
    expect(health.status).toBe(200);
    expect(healthMs).toBeLessThan(budgetMs);
    const [clean, cleanMs] = await timed(() => f.lookup(t, cleanRoom(i), `@c${i}:example.org`));
    expect(clean.status).toBe(204);
    expect(cleanMs).toBeLessThan(budgetMs);
    const [hit, hitMs] = await timed(() => f.lookup(t, listedRoom(i + 1), `@h${i}:example.org`));
    expect(hit.status).toBe(200);
    expect(hitMs).toBeLessThan(budgetMs);
  }
  await eventually(async () => (await f.request("/ready")).status === 503);
  expect(await storageErrors(f)).toBeGreaterThan(errorsBefore);
  await heal();
  await eventually(async () => (await f.request("/ready")).status === 200);
  const user = "@after-the-fault:example.org";
  for (const n of [1, 2]) expect((await f.lookup(t, listedRoom(n), user)).status).toBe(200);
  expect(await (await f.lookup(t, listedRoom(3), user)).json()).toMatchObject({ frozen: true });
}

describe("SQLite", () => {
  it("keeps answering while another connection holds an exclusive lock", async () => {
    fx = await startLookupFixture();
    const other = new Database(join(fx.dir, "redlight.db"));
    other.exec("BEGIN EXCLUSIVE");
    try {
      await survives(fx, async () => void other.exec("COMMIT"), 400);
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
    }
  }, 30_000);

  // Runs as root, as this project's test setup does (it installs PostgreSQL with apt-get).
  it("keeps answering when the disk is full (root: a small tmpfs)", async () => {
    if (process.getuid?.() !== 0 || !trySh("mount", ["--version"]))
      throw new Error("this test mounts a small tmpfs: run the tests as root");
    const root = join(process.env.TMPDIR ?? "/tmp", `redlight-full-${process.pid}`);
    mkdirSync(root, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", root]);
    try {
      fx = await startLookupFixture({ database: `sqlite:${join(root, "redlight.db")}` });
      // Fill what is left; SQLite then fails every write with SQLITE_FULL.
      try {
        writeFileSync(join(root, "filler"), Buffer.alloc(4 * 1024 * 1024));
      } catch {
        // ENOSPC: the disk is full, as wanted
      }
      await survives(fx, async () => rmSync(join(root, "filler")), 400);
    } finally {
      await fx?.stop();
      fx = undefined;
      execFileSync("umount", ["-l", root]);
      rmSync(root, { recursive: true, force: true });
    }
  }, 30_000);
});

function trySh(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("PostgreSQL", () => {
  let server: PostgresHandle;
  beforeAll(async () => {
    server = await usePostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function admin(sql: string, database = "postgres"): Promise<pg.Client> {
    const url = new URL(server.url);
    url.pathname = `/${database}`;
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    if (sql !== "") await c.query(sql);
    return c;
  }
  const dbName = (url: string) => new URL(url).pathname.slice(1);
  const kick = (db: string) =>
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`;

  it("keeps answering while another session holds the tables locked", async () => {
    const url = await server.createDatabase();
    fx = await startLookupFixture({ database: url });
    const locker = await admin("", dbName(url));
    await locker.query("BEGIN");
    await locker.query(
      "LOCK TABLE hits, freezes, quota_counts, audit_events IN ACCESS EXCLUSIVE MODE",
    );
    try {
      await survives(fx, async () => void (await locker.query("COMMIT")), 2500, 3);
    } finally {
      await locker.end();
    }
  }, 40_000);

  it("keeps answering while the database is read-only", async () => {
    const url = await server.createDatabase();
    const db = dbName(url);
    fx = await startLookupFixture({ database: url });
    const c = await admin(`ALTER DATABASE "${db}" SET default_transaction_read_only = on`);
    await c.query(kick(db));
    try {
      await survives(
        fx,
        async () => {
          await c.query(`ALTER DATABASE "${db}" RESET default_transaction_read_only`);
          await c.query(kick(db));
        },
        2500,
      );
    } finally {
      await c.end();
    }
  }, 40_000);

  it("keeps answering while the database refuses connections", async () => {
    const url = await server.createDatabase();
    const db = dbName(url);
    fx = await startLookupFixture({ database: url });
    const c = await admin(`ALTER DATABASE "${db}" WITH ALLOW_CONNECTIONS false`);
    await c.query(kick(db));
    try {
      await survives(
        fx,
        async () => void (await c.query(`ALTER DATABASE "${db}" WITH ALLOW_CONNECTIONS true`)),
        2500,
      );
    } finally {
      await c.end();
    }
  }, 40_000);
});
