/**
 * The guard's dashboard in a real browser (headless Chromium through playwright-core):
 * refused without a session, logged in through the homeserver (a stand-in that answers
 * Synapse's login, whoami, admin and room-state APIs with their wire formats), charts drawn
 * from a seeded decisions log, an account unfrozen with the button, and forged, cross-site
 * and session-less forms refused with nothing changed; the reports page (a report dismissed
 * with its button, no room id, reasons as text) and the sweeps page (ledger counts only).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../src/core/ids.js";
import { openGuardDatabase } from "../src/storage/guard-database.js";
import type { SqlDatabase } from "../src/storage/sql-database.js";
import { refuse } from "../src/services/guard/gates/verdict.js";
import { ReportStore } from "../src/services/guard/reports/report-store.js";
import { SqlSweepLedger } from "../src/services/guard/sweep/sweep-ledger.js";
import { FakeHomeserver, type ReceivedRequest } from "./doubles/fake-homeserver.js";
import { FakeLookupClient } from "./doubles/guard-fakes.js";
import { launchBrowser, screenshot } from "./support/browser.js";
import { composeTestGuard, type TestGuard } from "./support/guard-graph.js";

const ALERT_ROOM = "!alerts:example.org";
const FROZEN = "@quokkaberry:example.org" as UserId;
const SECOND = "@plumcot:example.org" as UserId;
const room = "!synthetic-0001:example.org" as RoomId;
const REPORTED = "!synthetic-reported-0201:example.org" as RoomId;
// Untrusted text from a reporter: the page must show it as text.
const REASON = '<img id="injected" src="x"> quokkaberry spam';
const USERS: Record<string, { password: string; token: string }> = {
  "@admin:example.org": { password: "synthetic-admin-pass", token: "tok-admin" },
  "@mod:example.org": { password: "synthetic-mod-pass", token: "tok-mod" },
  "@member:example.org": { password: "synthetic-member-pass", token: "tok-member" },
};
const BOT_TOKEN = "tok-bot";

/** Synapse's answers to what the dashboard login asks (paths and bodies as Synapse sends). */
function synapseAnswers(request: ReceivedRequest) {
  const token = String(request.headers.authorization ?? "").replace(/^Bearer /, "");
  const path = decodeURIComponent(request.url.split("?")[0] ?? "");
  const forbidden = { status: 403, body: { errcode: "M_FORBIDDEN", error: "Forbidden" } };
  if (request.method === "POST" && path === "/_matrix/client/v3/login") {
    const body = JSON.parse(request.body.toString()) as {
      identifier: { user: string };
      password: string;
    };
    const id = body.identifier.user.startsWith("@")
      ? body.identifier.user
      : `@${body.identifier.user}:example.org`;
    const user = USERS[id];
    if (user === undefined || user.password !== body.password)
      return {
        status: 403,
        body: { errcode: "M_FORBIDDEN", error: "Invalid username or password" },
      };
    return { status: 200, body: { user_id: id, access_token: user.token, device_id: "DASHCHECK" } };
  }
  const who = Object.entries(USERS).find(([, u]) => u.token === token)?.[0];
  if (path === "/_matrix/client/v3/account/whoami")
    return who === undefined
      ? { status: 401, body: { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." } }
      : { status: 200, body: { user_id: who, device_id: "DASHCHECK", is_guest: false } };
  if (path === "/_matrix/client/v3/logout") return { status: 200, body: {} };
  const admin = /^\/_synapse\/admin\/v1\/users\/(.+)\/admin$/.exec(path);
  if (admin !== null)
    return who === "@admin:example.org" && admin[1] === who
      ? { status: 200, body: { admin: true } }
      : { status: 403, body: { errcode: "M_FORBIDDEN", error: "You are not a server admin" } };
  const state = `/_matrix/client/v3/rooms/${ALERT_ROOM}/state/`;
  if (token === BOT_TOKEN && path.startsWith(state)) {
    const rest = path.slice(state.length);
    if (rest === "m.room.power_levels/" || rest === "m.room.power_levels")
      return {
        status: 200,
        body: { users: { "@bot:example.org": 100, "@mod:example.org": 50 }, users_default: 0 },
      };
    if (rest === "m.room.member/@mod:example.org" || rest === "m.room.member/@member:example.org")
      return { status: 200, body: { membership: "join" } };
    return { status: 404, body: { errcode: "M_NOT_FOUND", error: "Event not found." } };
  }
  if (request.method === "PUT" && path.includes("/send/"))
    return { status: 200, body: { event_id: "$synthetic" } };
  return forbidden;
}

describe("the guard dashboard in a browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-dashboard-"));
  let hs: FakeHomeserver;
  let db: SqlDatabase;
  let guard: TestGuard;
  let browser: Browser;
  let base: string;
  const lookup = new FakeLookupClient();

  beforeAll(async () => {
    hs = await FakeHomeserver.start();
    hs.answer = synapseAnswers;
    db = await openGuardDatabase(`sqlite:${join(dir, "guard.db")}`);
    const botToken = join(dir, "bot.token");
    writeFileSync(botToken, BOT_TOKEN, { mode: 0o600 });
    guard = composeTestGuard(
      {
        homeserverUrl: hs.url,
        guard: {
          dashboard: { listen: "127.0.0.1:0" },
          alerts: { room_id: ALERT_ROOM, access_token_file: botToken, commands: false },
          reports: {},
        },
      },
      { lookup, database: db },
    );
    const log = guard.composed.decisions;
    if (log === undefined || guard.composed.dashboard === undefined)
      throw new Error("no dashboard");
    // A seeded log: refused joins by tag, refused invites by server, redirected searches, freezes.
    const joinRefused = refuse("listed", "join_refused", [
      {
        kind: "join_refused",
        user: SECOND,
        room,
        listed: { reportId: "r-1", tags: ["csam"] },
        invited: false,
      },
    ]);
    for (let i = 0; i < 5; i++) log.decision("user_may_join_room", joinRefused);
    for (let i = 0; i < 3; i++)
      log.decision(
        "federated_user_may_invite",
        refuse("server_policy", "invite_refused", [
          {
            kind: "invite_refused",
            inviter: "@x:spam.example" as UserId,
            room,
            reason: "server_policy",
          },
        ]),
      );
    log.record({
      action: "search",
      outcome: "redirected",
      reason: "fruit",
      tag: "m.child_safety.csam",
    });
    for (const user of [FROZEN, SECOND])
      log.decision(
        "user_may_join_room",
        refuse("frozen", "account_restricted", [
          { kind: "account_frozen", user, local: true, via: "hit" },
        ]),
      );
    await log.flush();
    // Reports as the poller records them: a listed room's id is not kept.
    const report = (shortId: string, listed: "listed" | "not_listed", at: number) => ({
      shortId,
      kind: "event" as const,
      synapseId: Number(shortId.slice(1)),
      reporter: "@reporter:example.org",
      targetUser: SECOND,
      eventId: `$synthetic-${shortId}`,
      roomId: listed === "listed" ? null : REPORTED,
      reason: REASON,
      listed,
      receivedAt: at,
    });
    const at = Date.now() - 60_000;
    await new ReportStore(db).insert(
      db,
      [report("e1", "not_listed", at), report("e2", "listed", at + 1)],
      at + 2,
    );
    // Sweep actions: two invites rejected, one eviction begun and not finished.
    const ledger = new SqlSweepLedger(db, "synthetic-pseudonym-secret");
    for (const user of [FROZEN, SECOND]) {
      const key = { room, user, action: "reject_invite" as const };
      await ledger.begin(key, at);
      await ledger.finish(key, at);
    }
    await ledger.begin({ room, user: FROZEN, action: "evict" }, at);
    base = await guard.composed.dashboard.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await guard?.close();
    await db?.close();
    await hs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function loginAs(page: Page, user: string, password: string) {
    await page.goto(`${base}/login`);
    await page.fill("#user", user);
    await page.fill("#password", password);
    await page.click("button[type=submit]");
  }

  it("sends a page without a session to the login form, and refuses unknown passwords and plain members", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/frozen`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await loginAs(page, "admin", "wrong-password");
    await expect(page.locator("[role=alert]").textContent()).resolves.toContain(
      "refused this user",
    );
    await loginAs(page, "member", "synthetic-member-pass");
    await expect(page.locator("[role=alert]").textContent()).resolves.toContain(
      "may not use the dashboard",
    );
    await page.goto(`${base}/frozen`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.close();
  });

  it("logs a server admin in and draws the charts, under a CSP that forbids scripts", async () => {
    const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
    const answers: string[] = [];
    page.on("response", (r) => {
      void r
        .headerValue("content-security-policy")
        .then((csp) => csp !== null && answers.push(csp));
    });
    await loginAs(page, "admin", "synthetic-admin-pass");
    expect(new URL(page.url()).pathname).toBe("/");
    await expect(page.locator("header .who").textContent()).resolves.toContain(
      "@admin:example.org (server admin)",
    );
    expect(await page.locator("svg.chart").count()).toBeGreaterThanOrEqual(6);
    const byTag = page.locator("figure", { hasText: "Refusals by tag" });
    expect(await byTag.locator("rect").count()).toBeGreaterThan(0);
    await expect(byTag.locator("svg").textContent()).resolves.toContain("csam");
    const byServer = page.locator("figure", { hasText: "Invites refused by server" });
    await expect(byServer.locator("svg").textContent()).resolves.toContain("spam.example");
    const overTime = page.locator("figure", { hasText: "Decisions by outcome" });
    expect(await overTime.locator("rect").count()).toBeGreaterThan(0);
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.content()).not.toContain(room);
    expect(answers.some((csp) => csp.includes("script-src 'none'"))).toBe(true);
    expect((await screenshot(page, "dashboard-guard-overview")).length).toBeGreaterThan(1000);
    await page.close();
  });

  it("unfreezes an account with the button; forged, cross-site and session-less forms change nothing", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 400 } });
    await loginAs(page, "mod", "synthetic-mod-pass");
    await expect(page.locator("header .who").textContent()).resolves.toContain(
      "alert-room moderator",
    );
    await page.goto(`${base}/frozen`);
    const row = (user: string) => page.locator("tr", { hasText: user });
    expect(await row(FROZEN).count()).toBe(1);
    expect(await row(SECOND).count()).toBe(1);
    const csrf = await page.locator("input[name=csrf]").first().getAttribute("value");

    const forged = await page.request.post(`${base}/frozen/unfreeze`, {
      form: { csrf: "forged", user_id: SECOND },
    });
    expect(forged.status()).toBe(403);
    expect(((await forged.json()) as { errcode: string }).errcode).toBe("M_FORBIDDEN");
    const crossSite = await page.request.post(`${base}/frozen/unfreeze`, {
      form: { csrf: csrf ?? "", user_id: SECOND },
      headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status()).toBe(403);
    const noSession = await fetch(`${base}/frozen/unfreeze`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: csrf ?? "", user_id: SECOND }).toString(),
    });
    expect(noSession.status).toBe(401);
    expect(((await noSession.json()) as { errcode: string }).errcode).toBe("M_MISSING_TOKEN");
    await page.reload();
    expect(await row(SECOND).count()).toBe(1);

    await row(FROZEN).locator("button", { hasText: "Unfreeze" }).click();
    await expect(page.locator(".flash.ok").textContent()).resolves.toContain(FROZEN);
    expect(await row(FROZEN).count()).toBe(0);
    expect(await row(SECOND).count()).toBe(1);
    const unfreezes = await db.all<{ count: number }>(
      "SELECT count FROM decision_counts WHERE action = 'unfreeze' AND outcome = 'done' AND reason = 'dashboard'",
    );
    expect(unfreezes.map((r) => Number(r.count))).toEqual([1]);
    expect((await screenshot(page, "dashboard-guard-frozen")).length).toBeGreaterThan(1000);
    await page.close();
  });

  it("lists reports without room ids, dismisses one with its button, and shows sweep counts", async () => {
    const page = await browser.newPage({ viewport: { width: 1150, height: 400 } });
    await loginAs(page, "mod", "synthetic-mod-pass");
    await page.goto(`${base}/reports`);
    const row = (id: string) =>
      page.locator("tr").filter({ has: page.locator("code", { hasText: new RegExp(`^${id}$`) }) });
    const cells = async (id: string) =>
      (await row(id).locator("td").allTextContents()).map((t) => t.trim());
    expect((await cells("e1")).slice(1, 7)).toEqual([
      "event",
      "open",
      "@reporter:example.org",
      SECOND,
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown as string,
      "not listed",
    ]);
    expect((await cells("e2"))[6]).toBe("listed");
    await expect(row("e1").locator(".reason").textContent()).resolves.toBe(REASON);
    expect(await page.locator("#injected").count()).toBe(0);
    const html = await page.content();
    expect(html).not.toContain(REPORTED);
    expect(html).not.toContain(room);
    // A listed room is never escalated: no button for it.
    expect(await row("e2").locator("button", { hasText: "Escalate" }).count()).toBe(0);
    expect((await screenshot(page, "dashboard-guard-reports")).length).toBeGreaterThan(1000);

    const csrf = await page.locator("input[name=csrf]").first().getAttribute("value");
    const forged = await page.request.post(`${base}/reports/dismiss`, {
      form: { csrf: "forged", id: "e1" },
    });
    expect(forged.status()).toBe(403);
    const unknown = await page.request.post(`${base}/reports/dismiss`, {
      form: { csrf: csrf ?? "", id: "e99" },
    });
    // The form's answer redirects to the page, which shows the command's refusal.
    expect(unknown.ok()).toBe(true);
    expect(await unknown.text()).toContain("there is no report e99; nothing was changed");
    await page.reload();
    expect((await cells("e1"))[2]).toBe("open");

    await row("e1").locator("button", { hasText: "Dismiss" }).click();
    await expect(page.locator(".flash.ok").textContent()).resolves.toContain(
      "@mod:example.org dismissed report e1",
    );
    expect((await cells("e1"))[2]).toBe("dismissed");
    expect((await new ReportStore(db).get("e1"))?.state).toBe("dismissed");
    expect((await cells("e2"))[2]).toBe("open");

    await page.goto(`${base}/sweeps`);
    const kind = (action: string) =>
      page.locator("table").first().locator("tr", { hasText: action }).locator("td");
    await expect(kind("reject_invite").nth(1).textContent()).resolves.toBe("done");
    await expect(kind("reject_invite").nth(2).textContent()).resolves.toBe("2");
    await expect(kind("evict").nth(1).textContent()).resolves.toContain("not finished");
    await expect(kind("evict").nth(2).textContent()).resolves.toBe("1");
    expect(await page.content()).not.toContain(room);
    await page.close();
  });
});
