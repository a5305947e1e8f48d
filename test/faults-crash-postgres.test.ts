/**
 * `kill -9` during freeze writes, 10 times over, on PostgreSQL: after each
 * restart no confirmed freeze is lost; indexes and heap pass amcheck and the database
 * dumps cleanly. REDLIGHT_CRASH_CYCLES_PG overrides the number of cycles.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCrashCycles } from "./support/crash-cycles.js";
import { syntheticRdlist } from "./support/lookup-fixture.js";
import { addClients, writeLookupConfig } from "./support/lookup-process.js";
import { checkPostgresIntegrity, pgDump } from "./support/pg-checks.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";

const CYCLES = Number(process.env.REDLIGHT_CRASH_CYCLES_PG ?? "10");
const UNLIMITED = { requests: 1_000_000_000, per: "1m" };
let server: PostgresHandle;
let database: string;
let dir: string;
let token: string;

beforeAll(async () => {
  server = await usePostgres();
  database = await server.createDatabase();
  dir = mkdtempSync(join(tmpdir(), "redlight-crash-pg-"));
  writeLookupConfig({
    dir,
    database,
    list: syntheticRdlist(20),
    lookup: { rate_limits: { client: UNLIMITED } },
  });
  token = (await addClients(database, dir, [{ name: "hs1" }])).hs1 as string;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server?.stop();
});

it(`loses no confirmed freeze over ${CYCLES} kill -9 cycles, and the database stays intact`, async () => {
  const figures = await runCrashCycles({ dir, token, cycles: CYCLES });
  console.log(
    `crash/postgres: ${figures.cycles} kills, ${figures.lookups} lookups, ` +
      `${figures.confirmed.size} confirmed freezes, ${figures.cutOff} lookups cut off`,
  );
  expect(figures.confirmed.size).toBeGreaterThan(CYCLES);
  const c = new pg.Client({ connectionString: database });
  await c.connect();
  try {
    const r = await c.query<{ p: string }>(
      "SELECT user_pseudonym AS p FROM freezes WHERE client = 'hs1'",
    );
    const frozen = new Set(r.rows.map((row) => row.p));
    expect([...figures.confirmed].filter((p) => !frozen.has(p))).toEqual([]);
  } finally {
    await c.end();
  }
  expect(await checkPostgresIntegrity(database)).toBeGreaterThan(3);
  expect(pgDump(database)).toContain("COPY public.freezes");
}, 600_000); // each cycle starts a process: minutes on a busy machine
