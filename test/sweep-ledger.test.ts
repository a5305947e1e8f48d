/**
 * The sweeps' ledger (`sweep_actions`, migrations/guard/002_sweeps.sql) on SQLite and on a
 * real PostgreSQL: an action begun survives a reopen as "started" (a crash before it was
 * done), a finished one as "done", begun again it counts its attempts, and no room or
 * user id is stored in clear.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../src/core/ids.js";
import { SqlSweepLedger } from "../src/services/guard/sweep/sweep-ledger.js";
import { openGuardDatabase } from "../src/storage/guard-database.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";

const SECRET = "synthetic-pseudonym-secret-0123456789abcdef";
const ROOM = "!synthetic-0001:example.org" as RoomId;
const USER = "@ann:example.org" as UserId;

let pgServer: PostgresHandle;
beforeAll(async () => {
  pgServer = await usePostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

const backends: [string, () => Promise<string>][] = [
  [
    "SQLite",
    async () => `sqlite:${join(mkdtempSync(join(tmpdir(), "sweep-ledger-")), "guard.db")}`,
  ],
  ["PostgreSQL", async () => pgServer.createDatabase()],
];

describe.each(backends)("sweep ledger on %s", (_name, newUrl) => {
  it("keeps begun and finished actions across a reopen, keyed by hashes only", async () => {
    const url = await newUrl();
    const reject = { room: ROOM, user: USER, action: "reject_invite" as const };
    const block = { room: ROOM, user: undefined, action: "block" as const };
    const first = await openGuardDatabase(url);
    const ledger = new SqlSweepLedger(first, SECRET);
    expect(await ledger.state(reject)).toBeUndefined();
    await ledger.begin(reject, 1_000);
    await ledger.begin(block, 1_000);
    await ledger.finish(block, 2_000);
    await ledger.begin(reject, 3_000); // a retry
    await first.close();

    const second = await openGuardDatabase(url);
    const again = new SqlSweepLedger(second, SECRET);
    expect(await again.state(reject)).toBe("started");
    expect(await again.state(block)).toBe("done");
    // Another key (another guard's pseudonym secret) finds nothing.
    expect(await new SqlSweepLedger(second, `${SECRET}-other`).state(block)).toBeUndefined();
    const rows = await second.all<{ attempts: number; action: string }>(
      "SELECT * FROM sweep_actions ORDER BY action",
    );
    expect(rows.map((r) => [r.action, Number(r.attempts)])).toEqual([
      ["block", 1],
      ["reject_invite", 2],
    ]);
    const text = JSON.stringify(rows);
    expect(text).not.toContain("synthetic-0001");
    expect(text).not.toContain("ann");
    await second.close();
  });
});
