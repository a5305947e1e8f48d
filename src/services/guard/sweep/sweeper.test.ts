/**
 * The sweeper against fakes (a homeserver in memory, the fake lookup service) and its real
 * ledger in an in-memory SQLite database: what it rejects and does, that it never counts
 * toward a freeze, that it is idempotent and resumes after a crash, that failures are
 * counted and the sweep goes on, and that the database holds no room id in clear.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RoomId } from "../../../core/ids.js";
import { openGuardDatabase } from "../../../storage/guard-database.js";
import type { SqlDatabase } from "../../../storage/sql-database.js";
import { FakeLookupClient } from "../../../../test/doubles/guard-fakes.js";
import { FakeSweepHomeserver } from "../../../../test/doubles/sweep-fakes.js";
import { SqlSweepLedger } from "./sweep-ledger.js";
import type { SweepPolicy } from "./sweep-plan.js";
import type { SweepLedger } from "./sweep-ports.js";
import { Sweeper } from "./sweeper.js";

const LISTED = "!synthetic-0001:example.org";
const CLEAN = "!synthetic-0002:example.org";
const NAMED = "!synthetic-0003:example.org";
const SECRET = "synthetic-pseudonym-secret-0123456789abcdef";

describe("Sweeper", () => {
  let db: SqlDatabase;
  let hs: FakeSweepHomeserver;
  let lookup: FakeLookupClient;
  let ledger: SweepLedger;
  const sweeper = (policy: Partial<SweepPolicy> = {}, over: { ledger?: SweepLedger } = {}) =>
    new Sweeper({
      homeserver: hs,
      lookup,
      ledger: over.ledger ?? ledger,
      policy: { rejectPendingInvites: true, membersOfListedRooms: ["alert"], ...policy },
      matchesTerms: (text) => text.includes("quokkaberry"),
      now: () => 1_000,
      sleep: async () => undefined,
    });

  beforeEach(async () => {
    db = await openGuardDatabase("sqlite::memory:");
    ledger = new SqlSweepLedger(db, SECRET);
    lookup = new FakeLookupClient().list(LISTED, "report-7", ["csam"]);
    hs = new FakeSweepHomeserver()
      .user("@ann:example.org", { [LISTED]: "invite", [CLEAN]: "invite" })
      .user("@bob:example.org", { [LISTED]: "join", [CLEAN]: "join" })
      .user("@cy:example.org", { [NAMED]: "invite" });
    hs.texts.set(NAMED as RoomId, ["The quokkaberry club"]);
    hs.texts.set(CLEAN as RoomId, ["Gardening"]);
  });
  afterEach(async () => db.close());

  it("rejects pending invites to listed and term-named rooms, reports members, checks without lookups", async () => {
    const report = await sweeper().sweep();
    expect(hs.membership("@ann:example.org", LISTED)).toBeUndefined();
    expect(hs.membership("@ann:example.org", CLEAN)).toBe("invite");
    expect(hs.membership("@cy:example.org", NAMED)).toBeUndefined();
    expect(hs.membership("@bob:example.org", LISTED)).toBe("join"); // alert only
    expect(hs.blocked.size + hs.purged.size + hs.quarantined.size).toBe(0);
    expect(report.counted("reject_invite", "done")).toBe(2);
    expect(report.termInvites).toBe(1);
    expect(report.counted("alert", "done")).toBe(1);
    expect(report.members).toBe(1);
    expect(lookup.lookups).toEqual([]); // never a counting lookup
    expect(lookup.checks.flat().sort()).toEqual([CLEAN, LISTED, NAMED].sort());
    const alert = report.alert(false);
    expect(alert?.plain).toContain("pending invites rejected: 2");
    expect(alert?.plain).toContain("report-7");
    expect(alert?.plain).not.toContain(LISTED);
    expect(report.alert(true)?.plain).toContain(LISTED);
  });

  it("evicts, quarantines, blocks and purges when turned on, in that order", async () => {
    const report = await sweeper({
      membersOfListedRooms: ["purge", "block", "evict", "quarantine_media"],
    }).sweep();
    expect(hs.calls.filter((c) => c.includes(LISTED) && !c.includes("ann"))).toEqual([
      `quarantine ${LISTED}`,
      `leave @bob:example.org ${LISTED}`,
      `block ${LISTED}`,
      `purge ${LISTED} block`,
    ]);
    expect(report.counted("evict", "done")).toBe(1);
  });

  it("is idempotent: a second sweep repeats no room action and alerts nothing", async () => {
    await sweeper({ membersOfListedRooms: ["block"] }).sweep();
    hs.calls.length = 0;
    const second = await sweeper({ membersOfListedRooms: ["block"] }).sweep();
    expect(hs.calls).toEqual([]);
    expect(second.newActions).toBe(0);
    expect(second.alert(false)).toBeUndefined();
  });

  it("resumes after a crash: an action begun is taken, one finished is not taken again", async () => {
    const key = { room: LISTED as never, user: undefined, action: "block" as const };
    await ledger.begin(key, 1); // crashed before acting
    await sweeper({ membersOfListedRooms: ["block"] }).sweep();
    expect(hs.calls).toContain(`block ${LISTED}`);
    expect(await ledger.state(key)).toBe("done");
    hs.calls.length = 0;
    await sweeper({ membersOfListedRooms: ["block"] }).sweep();
    expect(hs.calls.filter((c) => c.startsWith("block"))).toEqual([]);
  });

  it("dry run: plans and counts, changes and records nothing", async () => {
    const report = await sweeper({ membersOfListedRooms: ["evict", "block"] }).sweep({
      dryRun: true,
    });
    expect(hs.calls).toEqual([]);
    expect(report.counted("reject_invite", "planned")).toBe(2);
    expect(report.counted("block", "planned")).toBe(1);
    expect(report.alert(false)).toBeUndefined();
    expect(await db.all("SELECT * FROM sweep_actions")).toEqual([]);
  });

  it("counts admin API failures and deleted users, goes on, and retries next sweep", async () => {
    hs.user("@gone:example.org", { [LISTED]: "invite" });
    hs.gone.add("@gone:example.org" as never);
    hs.failing.add("leave");
    const first = await sweeper().sweep();
    expect(first.usersGone).toBe(1);
    expect(first.failures).toBe(2); // two invites not rejected
    expect(first.counted("alert", "done")).toBe(1); // the rest of the sweep went on
    expect(first.alert(false)?.plain).toContain("failures (retried next sweep): 2");
    hs.failing.delete("leave");
    const second = await sweeper().sweep();
    expect(second.counted("reject_invite", "done")).toBe(2);
    expect(hs.membership("@ann:example.org", LISTED)).toBeUndefined();
  });

  it("stops cleanly when users cannot be listed or the lookup service does not answer", async () => {
    hs.failing.add("users");
    const noUsers = await sweeper().sweep();
    expect(noUsers.failures).toBe(1);
    expect(lookup.checks).toEqual([]);
    hs.failing.delete("users");
    lookup.down = "timeout";
    const noLookup = await sweeper().sweep();
    expect(noLookup.failures).toBe(1);
    expect(hs.calls).toEqual([]);
  });

  it("ends at its next call when the guard stops, acting on nothing more", async () => {
    const stopping = new AbortController();
    stopping.abort();
    const report = await sweeper().sweep({ signal: stopping.signal });
    expect(hs.calls).toEqual([]);
    expect(lookup.checks).toEqual([]);
    expect(report.failureReasons.has("sweep: stopped")).toBe(true);
  });

  it("pages through users and checks rooms in batches of at most 100", async () => {
    hs.pageSize = 7;
    for (let i = 0; i < 150; i++)
      hs.user(`@u${i}:example.org`, {
        [`!synthetic-1${String(i).padStart(3, "0")}:example.org`]: "join",
      });
    const report = await sweeper().sweep();
    expect(report.users).toBe(153);
    expect(lookup.checks.every((batch) => batch.length <= 100)).toBe(true);
    expect(lookup.checks.flat().length).toBe(report.rooms);
  });

  it("stores rooms and users only as keyed hashes", async () => {
    await sweeper({ membersOfListedRooms: ["evict"] }).sweep();
    const rows = await db.all<Record<string, unknown>>("SELECT * FROM sweep_actions");
    expect(rows.length).toBeGreaterThan(0);
    const text = JSON.stringify(rows);
    for (const id of [LISTED, NAMED, "@ann:example.org", "@bob:example.org", "example.org"])
      expect(text).not.toContain(id);
  });
});
