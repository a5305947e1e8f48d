/**
 * `kill -9` during freeze writes, 20 times over, on SQLite: after each restart
 * no confirmed freeze is lost and the database passes `PRAGMA integrity_check`.
 * REDLIGHT_CRASH_CYCLES overrides the number of cycles.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { runCrashCycles } from "./support/crash-cycles.js";
import { cleanRoom, syntheticRdlist } from "./support/lookup-fixture.js";
import { addClients, spawnLookup, writeLookupConfig } from "./support/lookup-process.js";

const CYCLES = Number(process.env.REDLIGHT_CRASH_CYCLES ?? "20");
const UNLIMITED = { requests: 1_000_000_000, per: "1m" };
let dir: string;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-crash-sqlite-"));
  writeLookupConfig({
    dir,
    database: "sqlite:./redlight.db",
    list: syntheticRdlist(20),
    lookup: { rate_limits: { client: UNLIMITED } },
  });
  token = (await addClients("sqlite:./redlight.db", dir, [{ name: "hs1" }])).hs1 as string;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`loses no confirmed freeze over ${CYCLES} kill -9 cycles, and the file stays intact`, async () => {
  const figures = await runCrashCycles({ dir, token, cycles: CYCLES });
  console.log(
    `crash/sqlite: ${figures.cycles} kills, ${figures.lookups} lookups, ` +
      `${figures.confirmed.size} confirmed freezes, ${figures.cutOff} lookups cut off`,
  );
  expect(figures.confirmed.size).toBeGreaterThan(CYCLES);

  const db = new Database(join(dir, "redlight.db"));
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const frozen = new Set(
      db
        .prepare("SELECT user_pseudonym FROM freezes WHERE client = 'hs1'")
        .pluck()
        .all() as string[],
    );
    const lost = [...figures.confirmed].filter((p) => !frozen.has(p));
    expect(lost).toEqual([]);
  } finally {
    db.close();
  }

  // And the restarted service enforces them.
  const lookup = await spawnLookup(dir);
  try {
    for (const pseudonym of [...figures.confirmed].slice(0, 50)) {
      const r = await fetch(`${lookup.apiUrl}/_matrix/loj/v1/abuse_lookup`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ room_id_hash: ljs4Hash(cleanRoom(1)), user_id_hash: pseudonym }),
      });
      expect(r.status).toBe(403);
    }
  } finally {
    lookup.child.kill("SIGTERM");
    await lookup.exited;
  }
}, 600_000); // each cycle starts a process: minutes on a busy machine
