/**
 * The provider's dashboard in a real browser (headless Chromium through playwright-core),
 * on a running lookup service: refused without a session and with a wrong admin token,
 * clients with their hits, a rotated token shown once, a client revoked (its lookups then
 * refused by the service), list health; never a listed room, its hash or a pseudonym.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { launchBrowser, screenshot } from "./support/browser.js";
import { listedRoom, startLookupFixture, type LookupFixture } from "./support/lookup-fixture.js";

const ADMIN_TOKEN = "synthetic-dashboard-admin-token-0001";
const USER = "@quokkaberry:example.org";

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
    fx = await startLookupFixture({
      clients: [{ name: "hs1" }, { name: "hs2" }],
      lookup: { dashboard: { listen: "127.0.0.1:0", admin_token_file: tokenFile } },
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
});
