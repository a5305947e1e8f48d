import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../../../core/ids.js";
import { openGuardDatabase } from "../../../storage/guard-database.js";
import type { SqlDatabase } from "../../../storage/sql-database.js";
import { SqlSweepLedger } from "./sweep-ledger.js";
import { sweepCounts } from "./sweep-summary.js";

const DAY = 86_400_000;
const room = "!synthetic-0001:example.org" as RoomId;
const user = (n: number) => `@synthetic-${n}:example.org` as UserId;

describe("sweepCounts", () => {
  let db: SqlDatabase;
  beforeEach(async () => {
    db = await openGuardDatabase("sqlite::memory:");
  });
  afterEach(async () => {
    await db.close();
  });

  it("counts actions by UTC day, action and state, with attempts and the latest time", async () => {
    const ledger = new SqlSweepLedger(db, "synthetic-secret");
    const day1 = 20 * DAY;
    for (const n of [1, 2]) {
      const key = { room, user: user(n), action: "reject_invite" as const };
      await ledger.begin(key, day1 + n);
      await ledger.finish(key, day1 + 10 * n);
    }
    const evict = { room, user: user(3), action: "evict" as const };
    await ledger.begin(evict, day1 + DAY + 5);
    await ledger.begin(evict, day1 + DAY + 7);
    await ledger.begin({ room, user: user(4), action: "evict" }, day1 - DAY);

    expect(await sweepCounts(db, day1, day1 + 2 * DAY)).toEqual([
      {
        day: day1 + DAY,
        action: "evict",
        state: "started",
        count: 1,
        attempts: 2,
        last: day1 + DAY + 7,
      },
      { day: day1, action: "reject_invite", state: "done", count: 2, attempts: 2, last: day1 + 20 },
    ]);
    const rows = await db.all<Record<string, unknown>>("SELECT * FROM sweep_actions");
    expect(JSON.stringify(rows)).not.toContain(room);
  });
});
