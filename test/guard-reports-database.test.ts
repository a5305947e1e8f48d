/**
 * The guard's report records (migrations/guard/003_reports.sql) on SQLite and on a real
 * PostgreSQL: a report is recorded once however often it is inserted, states move only
 * from the states named, room report numbers continue, an accepted escalation forgets
 * the room id, and the first action on a report keeps its time (migration 005).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportStore, type NewGuardReport } from "../src/services/guard/reports/report-store.js";
import { openGuardDatabase } from "../src/storage/guard-database.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";

let pgServer: PostgresHandle;
beforeAll(async () => {
  pgServer = await usePostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

const backends: [string, () => Promise<string>][] = [
  ["SQLite", async () => `sqlite:${join(mkdtempSync(join(tmpdir(), "guard-db-")), "guard.db")}`],
  ["PostgreSQL", async () => pgServer.createDatabase()],
];

const report = (n: number, roomId: string | null): NewGuardReport => ({
  shortId: `e${n}`,
  kind: "event",
  synapseId: n,
  reporter: "@alice:example.org",
  targetUser: "@bob:example.org",
  eventId: `$event${n}`,
  roomId,
  reason: "quokkaberry",
  listed: roomId === null ? "unknown" : "not_listed",
  receivedAt: 1_700_000_000_000 + n,
});

describe.each(backends)("guard reports on %s", (_name, newUrl) => {
  it("records each report once, moves states only from the named ones, and forgets an accepted room", async () => {
    const db = await openGuardDatabase(await newUrl());
    const store = new ReportStore(db);
    const first = await db.transaction((tx) =>
      store.insert(tx, [report(1, "!clean-0001:example.org"), report(2, null)], 10),
    );
    expect(first.map((r) => r.shortId)).toEqual(["e1", "e2"]);
    const again = await db.transaction((tx) => store.insert(tx, [report(1, null)], 11));
    expect(again).toEqual([]);
    expect(await store.get("e1")).toMatchObject({
      synapseId: 1,
      roomId: "!clean-0001:example.org",
      receivedAt: 1_700_000_000_001,
      state: "open",
    });
    expect((await store.unalerted()).map((r) => r.shortId)).toEqual(["e1", "e2"]);
    await store.markAlerted(["e1", "e2"], 12);
    expect(await store.unalerted()).toEqual([]);

    expect(await store.setState("e1", ["dismissed"], "escalated", 13)).toBe(false);
    expect(
      await store.setState("e1", ["open", "dismissed"], "escalated", 13, {
        escalationRef: "rr_synthetic",
      }),
    ).toBe(true);
    expect((await store.escalated()).map((r) => r.escalationRef)).toEqual(["rr_synthetic"]);
    expect(await store.setState("e1", ["escalated"], "accepted", 14, { forgetRoom: true })).toBe(
      true,
    );
    expect(await store.get("e1")).toMatchObject({ state: "accepted", roomId: null });

    expect(await db.transaction((tx) => store.nextRoomNumber(tx))).toBe(1);
    await db.transaction((tx) =>
      store.insert(tx, [{ ...report(7, null), shortId: "r7", kind: "room", synapseId: 7 }], 15),
    );
    expect(await db.transaction((tx) => store.nextRoomNumber(tx))).toBe(8);
    await db.close();
  });

  it("keeps the first action's time of each report, for the median time from notice to action", async () => {
    const db = await openGuardDatabase(await newUrl());
    const store = new ReportStore(db);
    const t = 1_700_000_000_000;
    await db.transaction((tx) =>
      store.insert(
        tx,
        [1, 2, 3, 4].map((n) => report(n, null)),
        t,
      ),
    );
    await store.acted("e1", t + 60_000);
    await store.acted("e1", t + 120_000); // a later action keeps the first time
    // A suspension of the reported user acts on every report naming them not yet acted on.
    await store.actedOnUser("@bob:example.org", t + 90_000);
    // e4 was received at t + 4, outside [t, t + 4).
    const delays = await store.actionDelays(t, t + 4);
    expect(delays.sort((a, b) => a - b)).toEqual([60_000 - 1, 90_000 - 3, 90_000 - 2]);
    expect(await store.actionDelays(t + 10, t + 20)).toEqual([]);
    await db.close();
  });
});
