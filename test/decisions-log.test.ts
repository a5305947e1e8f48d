import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../src/core/ids.js";
import { openGuardDatabase } from "../src/storage/guard-database.js";
import type { SqlDatabase } from "../src/storage/sql-database.js";
import { allow, refuse } from "../src/services/guard/gates/verdict.js";
import { DecisionLog, HOUR_MS } from "../src/services/guard/decisions/decision-log.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";
import { DecisionQueries } from "../src/services/guard/decisions/decision-queries.js";

let pgServer: PostgresHandle;
beforeAll(async () => {
  pgServer = await usePostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

const backends: [string, () => Promise<string>][] = [
  ["SQLite", async () => `sqlite:${join(mkdtempSync(join(tmpdir(), "decisions-")), "guard.db")}`],
  ["PostgreSQL", async () => pgServer.createDatabase()],
];

const T0 = Date.UTC(2026, 9, 1, 10, 15);
const room = "!synthetic-0001:example.org" as RoomId;
const user = "@quokkaberry:example.org" as UserId;

describe.each(backends)("the decisions log on %s", (_name, newUrl) => {
  let db: SqlDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  async function setUp(start = T0) {
    db = await openGuardDatabase(await newUrl());
    let now = start;
    const log = new DecisionLog({ db, now: () => now, retentionMs: 30 * 24 * HOUR_MS });
    return { db, log, queries: new DecisionQueries(db), at: (t: number) => (now = t) };
  }

  it("counts decisions per hour and key, writes them only on flush, and never a room id", async () => {
    const { db, log, queries, at } = await setUp();
    const listed = { reportId: "r-1", tags: ["spam", "csam"] };
    const refusal = refuse("listed", "join_refused", [
      { kind: "join_refused", user, room, listed, invited: false },
    ]);
    log.decision("user_may_join_room", refusal);
    log.decision("user_may_join_room", refusal);
    log.decision("user_may_join_room", allow("clean"));
    log.decision(
      "federated_user_may_invite",
      refuse("server_policy", "invite_refused", [
        {
          kind: "invite_refused",
          inviter: "@x:Bad.Example" as UserId,
          room,
          reason: "server_policy",
        },
      ]),
    );
    expect(await queries.counts(0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    await log.flush();
    at(T0 + HOUR_MS);
    log.decision("user_may_join_room", refusal);
    await log.flush();
    const rows = await queries.counts(0, Number.MAX_SAFE_INTEGER);
    const hour = Math.floor(T0 / HOUR_MS) * HOUR_MS;
    expect(rows).toContainEqual(
      expect.objectContaining({
        hour,
        action: "join",
        outcome: "refused",
        tag: "csam,spam",
        count: 2,
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        hour: hour + HOUR_MS,
        action: "join",
        outcome: "refused",
        count: 1,
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        action: "invite",
        outcome: "refused",
        server: "bad.example",
        count: 1,
      }),
    );
    const dump = JSON.stringify(await db.all("SELECT * FROM decision_counts"));
    expect(dump).not.toContain(room);
  });

  it("counts a knock, decided as a join, as a knock with the join's outcome, reason and tags", async () => {
    const { log, queries } = await setUp();
    const listed = { reportId: "r-1", tags: ["spam"] };
    const refusal = refuse("listed", "join_refused", [
      { kind: "join_refused", user, room, listed, invited: false },
    ]);
    log.decision("user_may_join_room", refusal, "knock");
    log.decision("user_may_join_room", allow("clean"), "knock");
    await log.flush();
    const rows = await queries.counts(0, Number.MAX_SAFE_INTEGER);
    expect(rows.map((r) => [r.action, r.outcome, r.reason, r.tag, r.count]).sort()).toEqual([
      ["knock", "allowed", "clean", "", 1],
      ["knock", "refused", "listed", "spam", 1],
    ]);
  });

  it("keeps frozen accounts until unfrozen, and outages with their end", async () => {
    const { log, queries, at } = await setUp();
    log.decision(
      "user_may_join_room",
      refuse("frozen", "account_restricted", [
        { kind: "account_frozen", user, local: true, via: "hit" },
      ]),
    );
    log.events([{ kind: "lookup_degraded", reason: "timeout" }]);
    await log.flush();
    expect((await queries.frozenAccounts()).map((f) => f.userId)).toEqual([user]);
    at(T0 + 60_000);
    log.events([{ kind: "lookup_recovered", downMs: 60_000 }]);
    log.unfrozen(user, "dashboard", true);
    await log.flush();
    expect(await queries.frozenAccounts()).toEqual([]);
    expect(await queries.degradedPeriods(0, T0 + HOUR_MS)).toEqual([
      { startedAt: T0, endedAt: T0 + 60_000 },
    ]);
    const rows = await queries.counts(0, Number.MAX_SAFE_INTEGER);
    expect(rows).toContainEqual(
      expect.objectContaining({ action: "freeze", reason: "hit", count: 1 }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({ action: "unfreeze", outcome: "done", automated: false, count: 1 }),
    );
  });

  it("keeps counts whose write failed for the next flush", async () => {
    const { db, log, queries } = await setUp();
    log.record({ action: "search", outcome: "redirected", tag: "harm" });
    await db.run("ALTER TABLE decision_counts RENAME TO decision_counts_away");
    await expect(log.flush()).rejects.toThrow();
    log.record({ action: "search", outcome: "redirected", tag: "harm" });
    await db.run("ALTER TABLE decision_counts_away RENAME TO decision_counts");
    await log.flush();
    const rows = await queries.counts(0, Number.MAX_SAFE_INTEGER);
    expect(rows.map((r) => r.count)).toEqual([2]);
  });

  it("deletes counts older than the retention", async () => {
    const { log, queries, at } = await setUp();
    log.record({ action: "join", outcome: "allowed" });
    await log.flush();
    at(T0 + 40 * 24 * HOUR_MS);
    log.record({ action: "join", outcome: "allowed" });
    await log.flush();
    expect(await log.prune()).toBe(1);
    expect((await queries.counts(0, Number.MAX_SAFE_INTEGER)).length).toBe(1);
  });
});
