/**
 * The provider's dashboard in a real browser (headless Chromium through playwright-core),
 * on a running lookup service: refused without a session and with a wrong admin token,
 * clients with their hits, a rotated token shown once, a client revoked (its lookups then
 * refused by the service), list health; the review queue (a report accepted in the browser
 * becomes listed after a reload, another rejected, a forged CSRF token changes nothing);
 * never a listed room, its hash or a pseudonym.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { generateListKey } from "../src/list/encryption.js";
import { launchBrowser, screenshot } from "./support/browser.js";
import { listedRoom, startLookupFixture, type LookupFixture } from "./support/lookup-fixture.js";

const ADMIN_TOKEN = "synthetic-dashboard-admin-token-0001";
const USER = "@quokkaberry:example.org";
const REPORTED = "!synthetic-reported-0101:example.org";
const OTHER = "!synthetic-reported-0102:example.org";
// Untrusted text from another homeserver: the page must show it as text.
const REASON = '<b id="injected">quokkaberry</b> trading room';

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the provider dashboard in a browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-provider-dashboard-"));
  let fx: LookupFixture;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const tokenFile = join(dir, "admin-token");
    // Stored as its digest: the plain token never sits on the server.
    const digest = createHash("sha256").update(ADMIN_TOKEN).digest("hex");
    writeFileSync(tokenFile, `sha256:${digest}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "list.key"), generateListKey(), { mode: 0o600 });
    fx = await startLookupFixture({
      clients: [{ name: "hs1" }, { name: "hs2" }, { name: "hs3", scopes: ["report"] }],
      lookup: {
        dashboard: { listen: "127.0.0.1:0", admin_token_file: tokenFile },
        reports: {
          encryption_key_file: join(dir, "list.key"),
          list_file: join(dir, "reports.json.enc"),
          refresh: "1h",
        },
      },
    });
    if (fx.handle.dashboardUrl === undefined) throw new Error("no dashboard");
    base = fx.handle.dashboardUrl;
    for (const n of [1, 2])
      expect((await fx.lookup(fx.tokens["hs1"], listedRoom(n), USER)).status).toBe(200);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await fx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function login(page: Page, token: string) {
    await page.goto(`${base}/login`);
    await page.fill("#token", token);
    await page.click("button[type=submit]");
  }

  it("refuses a page without a session and a wrong admin token", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await login(page, "not-the-token");
    await expect(page.locator("[role=alert]").textContent()).resolves.toContain(
      "wrong admin token",
    );
    const revoke = await fetch(`${base}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "csrf=x&name=hs1",
    });
    expect(revoke.status).toBe(401);
    expect((await fx.lookup(fx.tokens["hs1"], listedRoom(3), USER)).status).not.toBe(401);
    await page.close();
  });

  it("shows clients and their hits, rotates a token once, revokes a client", async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    await login(page, ADMIN_TOKEN);
    expect(new URL(page.url()).pathname).toBe("/");
    const row = (name: string) => page.locator("tr", { hasText: name });
    await expect(row("hs1").locator("td").nth(4).textContent()).resolves.toBe("3");
    expect(await page.locator("figure svg.chart rect").count()).toBeGreaterThan(0);
    const html = await page.content();
    for (const secret of [
      listedRoom(1),
      ljs4Hash(listedRoom(1)),
      ljs4Hash(USER),
      fx.tokens["hs1"] ?? "",
    ])
      expect(html).not.toContain(secret);
    expect(await page.locator("script").count()).toBe(0);
    await screenshot(page, "dashboard-provider-clients");

    await row("hs2").locator("button", { hasText: "Rotate token" }).click();
    const rotated = (await page.locator(".once").textContent()) ?? "";
    expect(rotated).toMatch(/\S{20,}/);
    await page.reload();
    expect(await page.locator(".once").count()).toBe(0);
    await until(
      "the rotated token to work",
      async () => (await fx.lookup(rotated, listedRoom(9), "@plumcot:example.org")).status === 200,
    );
    expect((await fx.lookup(fx.tokens["hs2"], listedRoom(9), USER)).status).toBe(401);

    await row("hs1").locator("button", { hasText: "Revoke" }).click();
    await expect(page.locator(".flash.ok").textContent()).resolves.toContain("revoked hs1");
    await expect(row("hs1").locator("td").nth(1).textContent()).resolves.toContain("revoked");
    await until(
      "the revoked client to be refused",
      async () => (await fx.lookup(fx.tokens["hs1"], listedRoom(4), USER)).status === 401,
    );
    await page.close();
  });

  it("shows list health and freezes per client", async () => {
    const page = await browser.newPage();
    await login(page, ADMIN_TOKEN);
    await page.goto(`${base}/list`);
    const main = (await page.locator("main").textContent()) ?? "";
    const inService = /In service: (\d+) entries/.exec(main)?.[1];
    expect(Number(inService)).toBeGreaterThan(0);
    const source = page.locator("tr", { hasText: "list.json" });
    await expect(source.locator("td").nth(2).textContent()).resolves.toBe(inService);
    expect(await source.locator("td").nth(1).textContent()).not.toBe("never");
    await page.goto(`${base}/freezes`);
    expect(await page.locator("h1").textContent()).toBe("Freezes");
    expect(await page.content()).not.toContain(ljs4Hash(USER));
    await page.close();
  });

  it("accepts a report from the review queue (listed after a reload), rejects another, refuses a forged CSRF token", async () => {
    const file = async (room: string) => {
      const r = await fx.request("/_matrix/loj/v1/report", {
        method: "POST",
        headers: { authorization: `Bearer ${fx.tokens["hs3"] ?? ""}` },
        body: JSON.stringify({ room_id: room, reason: REASON, tags: ["spam"] }),
      });
      expect(r.status).toBe(202);
      return ((await r.json()) as { report_ref: string }).report_ref;
    };
    const [accepted, rejected] = [await file(REPORTED), await file(OTHER)];
    expect((await fx.lookup(fx.tokens["hs3"], REPORTED, USER)).status).not.toBe(200);
    const page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
    await login(page, ADMIN_TOKEN);
    await page.goto(`${base}/reviews`);
    const row = (ref: string) => page.locator("tr", { hasText: ref });
    // The reviewer sees the reported room and the reason, as text.
    await expect(row(accepted).textContent()).resolves.toContain(REPORTED);
    await expect(row(accepted).locator(".reason").textContent()).resolves.toBe(REASON);
    expect(await page.locator("#injected").count()).toBe(0);
    await screenshot(page, "dashboard-provider-reviews");

    // A forged CSRF token on the accept form: refused, nothing changed.
    await row(accepted)
      .locator('form[action="/reviews/accept"] input[name=csrf]')
      // (The page's own DOM, typed here: the tests compile without the DOM library.)
      .evaluate((input: { setAttribute(name: string, value: string): void }) =>
        input.setAttribute("value", "forged"),
      );
    const [forged] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/reviews/accept")),
      row(accepted).locator("button", { hasText: "Accept" }).click(),
    ]);
    expect(forged.status()).toBe(403);
    await page.goto(`${base}/reviews`);
    await expect(row(accepted).textContent()).resolves.toContain(REPORTED);

    await row(accepted).locator("input[name=tags]").fill("spam");
    await row(accepted).locator("button", { hasText: "Accept" }).click();
    await expect(page.locator(".flash.ok").textContent()).resolves.toContain(
      `accepted ${accepted}`,
    );
    await expect(row(accepted).locator("td").nth(2).textContent()).resolves.toBe("accepted");
    // Listed now: its room id is never shown again.
    expect(await page.content()).not.toContain(REPORTED);
    await fx.handle.reload();
    await until(
      "the accepted room to be listed",
      async () => (await fx.lookup(fx.tokens["hs3"], REPORTED, USER)).status === 200,
    );

    await row(rejected).locator("button", { hasText: "Reject" }).click();
    await expect(page.locator(".flash.ok").textContent()).resolves.toContain(
      `rejected ${rejected}`,
    );
    await expect(row(rejected).locator("td").nth(2).textContent()).resolves.toBe("rejected");
    await fx.handle.reload();
    expect((await fx.lookup(fx.tokens["hs3"], OTHER, USER)).status).not.toBe(200);
    await page.close();
  });
});
