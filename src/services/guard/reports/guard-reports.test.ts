import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../../../core/ids.js";
import { ok, err } from "../../../core/result.js";
import { openGuardDatabase } from "../../../storage/guard-database.js";
import type { SqlDatabase } from "../../../storage/sql-database.js";
import type { AlertText } from "../alerts/alert-text.js";
import type { DecisionRecord } from "../decisions/decision-record.js";
import { parseCommand, type ReportCommand } from "../alerts/commands.js";
import type { CheckResult } from "../lookup/lookup-client.js";
import type { ReportUplink } from "../lookup/report-client.js";
import type { MatrixCall } from "../synapse/matrix-http.js";
import { GuardReports } from "./guard-reports.js";
import { ReportCommands } from "./report-commands.js";
import { cleanReason } from "./report-text.js";
import { SynapseReports } from "./synapse-reports.js";

const LISTED = "!synthetic-0001:example.org";
const CLEAN = "!clean-0001:example.org";

/** Synapse's report lists as its admin API pages them: newest first by offset. */
class FakeSynapse {
  readonly event: Record<string, unknown>[] = [];
  readonly user: Record<string, unknown>[] = [];
  readonly blocked: string[] = [];
  readonly suspended = new Map<string, boolean>();
  private nextId = 1;

  reportEvent(reporter: string, room: string, reason: string) {
    this.event.push({
      id: this.nextId,
      received_ts: 1000 + this.nextId,
      room_id: room,
      event_id: `$event${this.nextId}`,
      user_id: reporter,
      reason,
      sender: "@sender:example.org",
    });
    return `e${this.nextId++}`;
  }

  reportUser(reporter: string, target: string, reason: string) {
    this.user.push({
      id: this.nextId,
      received_ts: 1000 + this.nextId,
      target_user_id: target,
      user_id: reporter,
      reason,
    });
    return `u${this.nextId++}`;
  }

  readonly call: MatrixCall = async (method, path, body) => {
    const url = new URL(path, "http://synapse");
    const list = url.pathname.endsWith("/event_reports")
      ? { rows: this.event, field: "event_reports" }
      : url.pathname.endsWith("/user_reports")
        ? { rows: this.user, field: "user_reports" }
        : undefined;
    if (method === "GET" && list !== undefined) {
      const from = Number(url.searchParams.get("from") ?? 0);
      const limit = Number(url.searchParams.get("limit") ?? 100);
      const sorted = [...list.rows].sort((a, b) => Number(b.received_ts) - Number(a.received_ts));
      const page = sorted.slice(from, from + limit);
      const next = from + limit < sorted.length ? { next_token: from + page.length } : {};
      return ok({
        status: 200,
        body: { [list.field]: page, total: sorted.length, ...next },
      });
    }
    const detail = /\/event_reports\/(\d+)$/.exec(url.pathname);
    if (method === "GET" && detail !== null) {
      const row = this.event.find((r) => r.id === Number(detail[1]));
      return ok(row === undefined ? { status: 404, body: {} } : { status: 200, body: row });
    }
    const block = /\/rooms\/([^/]+)\/block$/.exec(url.pathname);
    if (method === "PUT" && block !== null) {
      this.blocked.push(decodeURIComponent(block[1] as string));
      return ok({ status: 200, body: { block: true } });
    }
    const suspend = /\/suspend\/([^/]+)$/.exec(url.pathname);
    if (method === "PUT" && suspend !== null) {
      const user = decodeURIComponent(suspend[1] as string);
      this.suspended.set(user, (body as { suspend: boolean }).suspend);
      return ok({ status: 200, body: {} });
    }
    return err("unexpected call");
  };
}

class FakeUplink implements ReportUplink {
  readonly filed: { room: string; reason: string }[] = [];
  state: "pending" | "accepted" | "rejected" = "pending";
  async file(room: string, reason: string) {
    this.filed.push({ room, reason });
    return ok(`rr_${"a".repeat(20)}${this.filed.length}`);
  }
  async status(ref: string) {
    return ok(
      this.state === "accepted"
        ? { report_ref: ref, state: this.state, tags: ["csam"] }
        : { report_ref: ref, state: this.state },
    );
  }
}

let db: SqlDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

async function world(checkAnswers: "answer" | "down" = "answer") {
  db = await openGuardDatabase("sqlite::memory:");
  const synapse = new FakeSynapse();
  const alerts: { kind: string; text: AlertText }[] = [];
  const sink = { post: (kind: string, text: AlertText) => alerts.push({ kind, text }) };
  const check = async (rooms: readonly RoomId[]): Promise<CheckResult> =>
    checkAnswers === "down"
      ? { kind: "unavailable", failure: { kind: "timeout" } }
      : {
          kind: "checked",
          listed: new Map(
            rooms
              .filter((r) => r === LISTED)
              .map((r) => [r, { reportId: "report-1", tags: ["csam"] }]),
          ),
        };
  const logger = pino({ level: "silent" });
  const recorded: DecisionRecord[] = [];
  const decisions = { record: (r: DecisionRecord) => recorded.push(r) };
  const synapseReports = new SynapseReports(synapse.call);
  const make = () =>
    new GuardReports({
      db: db as SqlDatabase,
      synapse: synapseReports,
      check,
      alerts: sink,
      logger,
      now: () => 5000,
      decisions,
    });
  const reports = make();
  const uplink = new FakeUplink();
  const commands = new ReportCommands({
    store: reports.store,
    synapse: synapseReports,
    suspender: {
      setSuspended: async (user: UserId, suspended: boolean) => {
        synapse.suspended.set(user, suspended);
        return ok(undefined);
      },
    },
    uplink,
    alerts: sink,
    logger,
    now: () => 6000,
    decisions,
  });
  const run = (text: string) =>
    commands.run(parseCommand(text) as ReportCommand, "@mod:example.org");
  return { synapse, alerts, reports, make, commands, uplink, run, recorded };
}

describe("reports into the alert room", () => {
  it("starts after the newest report, then posts each new event and user report once", async () => {
    const w = await world();
    w.synapse.reportEvent("@old:example.org", CLEAN, "history");
    await w.reports.pass();
    expect(w.alerts).toEqual([]);
    const e = w.synapse.reportEvent("@alice:example.org", CLEAN, "quokkaberry spam");
    const u = w.synapse.reportUser("@alice:example.org", "@bob:example.org", "rude");
    await w.reports.pass();
    await w.reports.pass();
    expect(w.alerts.map((a) => a.kind)).toEqual(["report", "report"]);
    const [event, user] = w.alerts.map((a) => a.text.plain);
    expect(event).toContain(`Report ${e}`);
    expect(event).toContain("@alice:example.org reported an event by @sender:example.org");
    expect(event).toContain(`https://matrix.to/#/${encodeURIComponent(CLEAN)}/%24event`);
    expect(event).toContain("“quokkaberry spam”");
    expect(event).toContain("The room is not listed.");
    expect(event).toContain(`!redlight escalate ${e}`);
    expect(user).toContain(`Report ${u}`);
    expect(user).toContain("reported the user @bob:example.org");
  });

  it("nothing is posted twice or lost across a restart, across pages of 100", async () => {
    const w = await world();
    await w.reports.pass();
    for (let i = 0; i < 150; i++) w.synapse.reportEvent("@a:example.org", CLEAN, `r${i}`);
    const restarted = w.make();
    await restarted.pass();
    await w.make().pass();
    expect(w.alerts).toHaveLength(150);
    const ids = w.alerts.map((a) => /Report (e\d+)/.exec(a.text.plain)?.[1]);
    expect(new Set(ids).size).toBe(150);
  });

  it("never names a listed room, says it is listed, and keeps no room id for it", async () => {
    const w = await world();
    await w.reports.pass();
    const e = w.synapse.reportEvent("@alice:example.org", LISTED, "bad room");
    await w.reports.pass();
    const alert = w.alerts[0]?.text as AlertText;
    expect(alert.plain).toContain("LISTED");
    expect(alert.plain).toContain("report-1");
    expect(alert.plain + alert.html).not.toContain("synthetic-0001");
    expect((await w.reports.store.get(e))?.roomId).toBeNull();
    // block-room still works: the room is asked from Synapse.
    expect(await w.run(`!redlight block-room ${e}`)).toContain("blocked the room");
    expect(w.synapse.blocked).toEqual([LISTED]);
    expect(await w.run(`!redlight escalate ${e}`)).toContain("already listed");
  });

  it("checks more than 100 reported rooms in batches of 100", async () => {
    const w = await world();
    await w.reports.pass();
    for (let i = 0; i < 140; i++)
      w.synapse.reportEvent("@a:example.org", `!clean-${1000 + i}:example.org`, "x");
    const e = w.synapse.reportEvent("@a:example.org", LISTED, "last");
    await w.reports.pass();
    expect(w.alerts).toHaveLength(141);
    expect(w.alerts.find((a) => a.text.plain.startsWith(`Report ${e}:`))?.text.plain).toContain(
      "LISTED",
    );
    expect((await w.reports.store.get(e))?.listed).toBe("listed");
  });

  it("says the listing is unknown when the lookup service is down", async () => {
    const w = await world("down");
    await w.reports.pass();
    w.synapse.reportEvent("@alice:example.org", CLEAN, "x");
    await w.reports.pass();
    expect(w.alerts[0]?.text.plain).toContain("unknown");
    expect(w.alerts[0]?.text.plain).not.toContain("clean-0001");
  });

  it("renders untrusted reasons safely: escaped HTML, no control characters, bounded", async () => {
    const w = await world();
    await w.reports.pass();
    w.synapse.reportEvent(
      "@a:example.org",
      CLEAN,
      `<a href="x">click</a>\u202e\n${"z".repeat(5000)}`,
    );
    await w.reports.pass();
    const { html, plain } = w.alerts[0]?.text as AlertText;
    expect(html).not.toContain("<a href");
    expect(html).toContain("&lt;a href=&quot;x&quot;&gt;");
    expect(plain).not.toMatch(/[\u202e\n]/);
    expect(plain.length).toBeLessThan(1000);
    expect(cleanReason("a\u0000b\tc")).toBe("a b c");
  });

  it("takes room reports from the proxy port and numbers them r1, r2", async () => {
    const w = await world();
    w.reports.acceptRoomReport({
      reporter: "@a:example.org",
      roomId: CLEAN,
      reason: "one",
      receivedAt: 1,
    });
    w.reports.acceptRoomReport({
      reporter: "@a:example.org",
      roomId: LISTED,
      reason: "two",
      receivedAt: 2,
    });
    await w.reports.pass();
    const texts = w.alerts.map((a) => a.text.plain);
    expect(texts[0]).toContain("Report r1");
    expect(texts[1]).toContain("Report r2");
    expect(texts[1]).toContain("LISTED");
    expect(texts[1]).not.toContain("synthetic-0001");
  });
});

describe("report commands", () => {
  it("dismisses, suspends, unsuspends, and refuses unknown ids without changing anything", async () => {
    const w = await world();
    await w.reports.pass();
    const e = w.synapse.reportEvent("@a:example.org", CLEAN, "x");
    await w.reports.pass();
    expect(await w.run("!redlight dismiss e999")).toContain("there is no report e999");
    expect(await w.run(`!redlight dismiss ${e}`)).toContain(`dismissed report ${e}`);
    expect(await w.run(`!redlight dismiss ${e}`)).toContain("not open");
    expect(await w.run("!redlight suspend @bob:example.org")).toContain("suspended @bob");
    expect(w.synapse.suspended.get("@bob:example.org")).toBe(true);
    expect(await w.run("!redlight unsuspend @bob:example.org")).toContain("unsuspended");
    expect(w.synapse.suspended.get("@bob:example.org")).toBe(false);
    expect(await w.run("!redlight escalate u999 why")).toContain("no report");
    expect(w.uplink.filed).toEqual([]);
  });

  it("escalates a room to the provider once, and posts the outcome once", async () => {
    const w = await world();
    await w.reports.pass();
    const e = w.synapse.reportEvent("@a:example.org", CLEAN, "original reason");
    const u = w.synapse.reportUser("@a:example.org", "@b:example.org", "x");
    await w.reports.pass();
    expect(await w.run(`!redlight escalate ${u}`)).toContain("names no room");
    expect(await w.run(`!redlight escalate ${e} seen in the quokkaberry room`)).toContain(
      "escalated",
    );
    expect(w.uplink.filed).toEqual([{ room: CLEAN, reason: "seen in the quokkaberry room" }]);
    expect(await w.run(`!redlight escalate ${e}`)).toContain("already escalated");
    const before = w.alerts.length;
    await w.commands.followEscalations();
    expect(w.alerts).toHaveLength(before);
    w.uplink.state = "accepted";
    await w.commands.followEscalations();
    await w.commands.followEscalations();
    const outcomes = w.alerts.filter((a) => a.kind === "report_outcome");
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.text.plain).toContain(`Report ${e} accepted by the provider`);
    const stored = await w.reports.store.get(e);
    expect(stored).toMatchObject({ state: "accepted", roomId: null });
  });

  it("records reports by kind and each action on them, and the first action's time", async () => {
    const w = await world();
    await w.reports.pass();
    const e = w.synapse.reportEvent("@a:example.org", CLEAN, "x");
    const u = w.synapse.reportUser("@a:example.org", "@b:example.org", "x");
    const e2 = w.synapse.reportEvent("@a:example.org", CLEAN, "y");
    w.synapse.reportEvent("@a:example.org", CLEAN, "left alone");
    await w.reports.pass();
    await w.run(`!redlight dismiss ${e}`);
    await w.run(`!redlight dismiss ${e}`); // not open any more: no second action
    await w.run("!redlight suspend @b:example.org");
    await w.run(`!redlight escalate ${e2}`);
    await w.run(`!redlight block-room ${e2}`);
    await w.run("!redlight unsuspend @b:example.org");
    w.uplink.state = "rejected";
    await w.commands.followEscalations();
    // Event reports are polled before user reports.
    const person = { action: "report", outcome: "done", automated: false };
    expect(w.recorded).toEqual([
      ...["event", "event", "event", "user"].map((k) => ({ ...person, reason: `received_${k}` })),
      ...["dismissed", "suspended", "escalated", "room_blocked", "unsuspended", "rejected"].map(
        (reason) => ({ ...person, reason }),
      ),
    ]);
    // Acted on at 6000: the dismissed, the suspended user's and the escalated report.
    const delays = await Promise.all(
      [e, u, e2].map(async (id) => 6000 - ((await w.reports.store.get(id))?.receivedAt ?? 0)),
    );
    expect((await w.reports.store.actionDelays(0, 10_000)).sort()).toEqual(delays.sort());
    expect(await w.reports.store.actionDelays(0, 1000)).toEqual([]);
  });

  it("parses the commands and refuses malformed ones", () => {
    expect(parseCommand("!redlight dismiss E12")).toEqual({ kind: "dismiss", id: "e12" });
    expect(parseCommand("!redlight escalate r3 a b")).toEqual({
      kind: "escalate",
      id: "r3",
      reason: "a b",
    });
    expect(parseCommand("!redlight block-room x12")).toMatchObject({ kind: "invalid" });
    expect(parseCommand("!redlight dismiss e1 e2")).toMatchObject({ kind: "invalid" });
    expect(parseCommand("!redlight suspend bob")).toMatchObject({ kind: "invalid" });
    expect(parseCommand(`!redlight escalate e1 ${"x ".repeat(400)}`)).toMatchObject({
      kind: "invalid",
    });
  });
});
