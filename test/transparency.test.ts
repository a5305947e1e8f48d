/**
 * `redlight transparency` on a seeded period: a guard's decisions log and a provider's
 * audit trail filled with synthetic decisions (knocks, sweeps, reports and the actions on
 * them included) and a guard's reports table around the period, the report's counts and
 * median time from notice to action compared with those computed here from the seed alone;
 * malformed dates write nothing.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { main } from "../src/cli.js";
import type { DecisionRecord } from "../src/services/guard/decisions/decision-record.js";
import { DecisionLog } from "../src/services/guard/decisions/decision-log.js";
import { openGuardDatabase } from "../src/storage/guard-database.js";
import { openStorage } from "../src/storage/open.js";
import type { TransparencyReport } from "../src/transparency/report.js";

const FROM = Date.UTC(2026, 9, 1);
const TO = Date.UTC(2027, 0, 1); // 2026-12-31 included
const DAY = 86_400_000;

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seeded {
  readonly at: number;
  readonly record: DecisionRecord;
}

function seed(n: number): Seeded[] {
  const next = random(2026);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const start = FROM - 20 * DAY;
  const span = TO + 20 * DAY - start;
  const out: Seeded[] = [];
  for (let i = 0; i < n; i++) {
    const at = start + Math.floor(next() * span);
    const kind = pick([
      "join",
      "join_ok",
      "invite",
      "search",
      "freeze",
      "unfreeze",
      "open",
      "knock",
      "sweep",
      "notice",
      "on_notice",
    ]);
    const record: DecisionRecord =
      kind === "knock"
        ? { action: "knock", outcome: "refused", reason: "listed", tag: "spam" }
        : kind === "sweep"
          ? { action: "sweep", outcome: "done", reason: pick(["reject_invite", "evict"]) }
          : kind === "notice"
            ? {
                action: "report",
                outcome: "done",
                reason: `received_${pick(["event", "user", "room"])}`,
                automated: false,
              }
            : kind === "on_notice"
              ? {
                  action: "report",
                  outcome: "done",
                  reason: pick(["dismissed", "escalated", "suspended", "unsuspended"]),
                  automated: false,
                }
              : kind === "join"
                ? {
                    action: "join",
                    outcome: "refused",
                    reason: "listed",
                    tag: pick(["csam", "spam", "csam,spam"]),
                  }
                : kind === "join_ok"
                  ? { action: "join", outcome: "allowed", reason: "clean" }
                  : kind === "invite"
                    ? {
                        action: "invite",
                        outcome: "refused",
                        reason: "server_policy",
                        server: pick(["a.example", "b.example"]),
                      }
                    : kind === "search"
                      ? {
                          action: "search",
                          outcome: "redirected",
                          reason: "fruit",
                          tag: "m.child_safety.csam",
                        }
                      : kind === "freeze"
                        ? { action: "freeze", outcome: "done", reason: "hit" }
                        : kind === "unfreeze"
                          ? {
                              action: "unfreeze",
                              outcome: "done",
                              reason: "dashboard",
                              automated: false,
                            }
                          : { action: "join", outcome: "allowed", reason: "fail_open" };
    out.push({ at, record });
  }
  return out;
}

describe("redlight transparency", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-transparency-"));
  const config = join(dir, "redlight.yaml");
  const seeded = seed(3000);
  const inPeriod = seeded.filter((s) => s.at >= FROM && s.at < TO);
  const count = (f: (r: DecisionRecord) => boolean) => inPeriod.filter((s) => f(s.record)).length;
  // Reports around the period: some acted on (after minutes to days), some never.
  const noticed = (() => {
    const next = random(4456);
    return Array.from({ length: 301 }, () => {
      const receivedAt = FROM - 10 * DAY + Math.floor(next() * (TO - FROM + 20 * DAY));
      const actedAt = next() < 0.2 ? null : receivedAt + Math.floor(next() * 3 * DAY);
      return { receivedAt, actedAt };
    });
  })();

  beforeAll(async () => {
    for (const name of ["antispam", "pseudonym", "lookup-token"])
      writeFileSync(join(dir, name), "s".repeat(48), { mode: 0o600 });
    writeFileSync(
      config,
      stringify({
        database: "sqlite:./lookup.db",
        guard: {
          homeserver_url: "http://127.0.0.1:1",
          antispam_secret_file: "./antispam",
          pseudonym_secret_file: "./pseudonym",
          lookup: { url: "http://127.0.0.1:2", api_token_file: "./lookup-token" },
          database: "sqlite:./guard.db",
        },
      }),
    );
    const db = await openGuardDatabase(`sqlite:${join(dir, "guard.db")}`);
    let now = 0;
    const log = new DecisionLog({ db, now: () => now, retentionMs: 1000 * DAY });
    for (const s of seeded) {
      now = s.at;
      log.record(s.record);
    }
    // One outage inside the period (90 minutes), one wholly before it.
    now = FROM + 10 * DAY;
    log.events([{ kind: "lookup_degraded", reason: "timeout" }]);
    now += 90 * 60_000;
    log.events([{ kind: "lookup_recovered", downMs: 90 * 60_000 }]);
    await log.flush();
    await db.run("INSERT INTO degraded_periods (started_at, ended_at) VALUES (?, ?)", [
      FROM - 5 * DAY,
      FROM - 5 * DAY + 60_000,
    ]);
    for (const [i, r] of noticed.entries())
      await db.run(
        "INSERT INTO reports (short_id, kind, synapse_id, reporter, target_user, event_id, room_id, reason, listed, state, received_at, alerted, updated_at, acted_at) VALUES (?, 'user', ?, '@a:example.org', '@b:example.org', NULL, NULL, '', 'no_room', 'open', ?, 1, ?, ?)",
        [`u${i}`, i, r.receivedAt, r.receivedAt, r.actedAt],
      );
    await db.close();
    // The provider's audit trail, as the lookup service writes it.
    const storage = await openStorage(`sqlite:${join(dir, "lookup.db")}`);
    await storage.close();
    const lookup = new Database(join(dir, "lookup.db"));
    const insert = lookup.prepare(
      "INSERT INTO audit_events (id, at, kind, client, subject, detail) VALUES (?, ?, ?, 'hs1', NULL, NULL)",
    );
    seeded.forEach((s, i) => {
      const kind =
        s.record.action === "join" && s.record.outcome === "refused"
          ? "hit"
          : s.record.action === "freeze"
            ? "freeze"
            : s.record.action === "unfreeze"
              ? "unfreeze"
              : "check";
      insert.run(`e${i}`, s.at, kind);
    });
    lookup.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...args: string[]): Promise<number> {
    process.exitCode = 0;
    await main(["node", "redlight", "transparency", "--config", config, ...args]);
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return code;
  }

  it("counts the guard's decisions of the period as computed from the seed", async () => {
    const out = join(dir, "guard-report");
    expect(await run("--from", "2026-10-01", "--to", "2026-12-31", "--out", out)).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as TransparencyReport;
    const joinsRefused = count((r) => r.action === "join" && r.outcome === "refused");
    const invitesRefused = count((r) => r.action === "invite");
    const searches = count((r) => r.action === "search");
    const freezes = count((r) => r.action === "freeze");
    expect(report.redlight["joins_refused"]).toBe(joinsRefused);
    expect(report.redlight["invites_refused"]).toBe(invitesRefused);
    expect(report.redlight["searches_redirected"]).toBe(searches);
    expect(report.redlight["allowed_by_fail_open"]).toBe(count((r) => r.reason === "fail_open"));
    const knocks = count((r) => r.action === "knock");
    const sweeps = count((r) => r.action === "sweep");
    expect(report.redlight["knocks_refused"]).toBe(knocks);
    expect(report.own_initiative_actions.by_action["knock_refused"]).toBe(knocks);
    expect(report.own_initiative_actions.by_action["sweep_evict"]).toBe(
      count((r) => r.action === "sweep" && r.reason === "evict"),
    );
    expect(report.own_initiative_actions.by_action["sweep_reject_invite"]).toBe(
      count((r) => r.action === "sweep" && r.reason === "reject_invite"),
    );
    const acted = (reason: string) => count((r) => r.action === "report" && r.reason === reason);
    expect(report.notices_received).toEqual({
      total: count((r) => r.action === "report" && r.reason?.startsWith("received_") === true),
      by_type: {
        event: acted("received_event"),
        user: acted("received_user"),
        room: acted("received_room"),
      },
    });
    expect(report.actions_on_notices.by_action).toEqual({
      dismissed: acted("dismissed"),
      escalated: acted("escalated"),
      suspended: acted("suspended"),
      unsuspended: acted("unsuspended"),
    });
    expect(report.suspensions).toEqual({
      imposed: freezes + acted("suspended"),
      reversed: count((r) => r.action === "unfreeze") + acted("unsuspended"),
    });
    expect(report.own_initiative_actions.total).toBe(
      joinsRefused + invitesRefused + searches + freezes + knocks + sweeps,
    );
    expect(report.own_initiative_actions.not_automated).toBe(0);
    expect(report.own_initiative_actions.by_category["csam"]).toBe(
      count((r) => r.action === "join" && r.outcome === "refused" && r.tag !== "spam"),
    );
    expect(report.own_initiative_actions.by_category["m.child_safety.csam"]).toBe(searches);
    expect(report.redlight.fail_open_periods).toBe(1);
    expect(report.redlight.fail_open_minutes).toBe(90);
    const december = inPeriod.filter(
      (s) => s.at >= Date.UTC(2026, 11, 1) && s.record.action === "search",
    ).length;
    expect(report.by_month["2026-12"]?.["search_redirected"]).toBe(december);
    expect(readdirSync(out).sort()).toEqual(
      [
        "actions-by-category.svg",
        "actions-by-month.svg",
        "actions-by-type.svg",
        "report.json",
        "report.md",
      ].sort(),
    );
    // The median, computed here: the middle delay (or the mean of the two middle ones).
    const delays = noticed
      .filter((r) => r.receivedAt >= FROM && r.receivedAt < TO && r.actedAt !== null)
      .map((r) => (r.actedAt as number) - r.receivedAt)
      .sort((a, b) => a - b);
    expect(delays.length).toBeGreaterThan(100);
    const lower = delays[Math.floor((delays.length - 1) / 2)] as number;
    const upper = delays[Math.ceil((delays.length - 1) / 2)] as number;
    expect(report.median_hours_notice_to_action).toBeCloseTo((lower + upper) / 2 / 3_600_000, 2);
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain(`| join_refused | ${joinsRefused} |`);
    expect(md).toContain(`| dismissed | ${acted("dismissed")} |`);
    expect(md).toContain(
      `Median time from notice to action: ${report.median_hours_notice_to_action} h`,
    );
    expect(readFileSync(join(out, "actions-by-type.svg"), "utf8")).toMatch(/^<\?xml[\s\S]*<svg/);
  });

  it("counts the provider's audit trail of the period", async () => {
    const out = join(dir, "provider-report");
    expect(
      await run("--from", "2026-10-01", "--to", "2026-12-31", "--out", out, "--service", "lookup"),
    ).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as TransparencyReport;
    expect(report.service).toBe("lookup");
    expect(report.own_initiative_actions.by_action["lookup_answered_listed"]).toBe(
      count((r) => r.action === "join" && r.outcome === "refused"),
    );
    expect(report.suspensions).toEqual({
      imposed: count((r) => r.action === "freeze"),
      reversed: count((r) => r.action === "unfreeze"),
    });
  });

  it("refuses malformed or reversed dates and writes nothing", async () => {
    for (const [from, to] of [
      ["2026-13-01", "2026-12-31"],
      ["2026-02-30", "2026-03-01"],
      ["yesterday", "2026-12-31"],
      ["2026-12-31", "2026-10-01"],
    ] as const) {
      const out = join(dir, `bad-${from}`);
      expect(await run("--from", from, "--to", to, "--out", out)).toBe(2);
      expect(existsSync(out)).toBe(false);
    }
  });
});
