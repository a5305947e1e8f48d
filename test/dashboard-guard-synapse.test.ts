/**
 * The guard dashboard's Matrix login against a real Synapse: a server admin (by password,
 * relayed to /login) and an alert-room moderator (power level 50, by access token) get a
 * session; a plain alert-room member and a wrong password do not; the login's own Matrix
 * session is logged out again.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openGuardDatabase } from "../src/storage/guard-database.js";
import type { SqlDatabase } from "../src/storage/sql-database.js";
import { FakeLookupClient } from "./doubles/guard-fakes.js";
import { composeTestGuard, type TestGuard } from "./support/guard-graph.js";
import { startSynapse, type RegisteredUser, type SynapseHandle } from "./support/synapse.js";

describe("the guard dashboard's login on a real Synapse", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-dashboard-synapse-"));
  let hs: SynapseHandle;
  let db: SqlDatabase;
  let guard: TestGuard;
  let base: string;
  let admin: RegisteredUser;
  let mod: RegisteredUser;
  let member: RegisteredUser;

  beforeAll(async () => {
    hs = await startSynapse();
    admin = await hs.registerUser("admin", { admin: true });
    const owner = await hs.registerUser("owner");
    const bot = await hs.registerUser("redlight-bot");
    mod = await hs.registerUser("mod");
    member = await hs.registerUser("member");
    const room = await hs.client(owner).createRoom({
      preset: "private_chat",
      invite: [bot.userId, mod.userId, member.userId],
    });
    for (const user of [bot, mod, member]) {
      const joined = await hs.client(user).join(room);
      if (!joined.ok) throw new Error(`${user.userId} could not join the alert room`);
    }
    await hs.client(owner).setPowerLevel(room, mod.userId, 50);
    const botToken = join(dir, "bot.token");
    writeFileSync(botToken, bot.accessToken, { mode: 0o600 });
    db = await openGuardDatabase(`sqlite:${join(dir, "guard.db")}`);
    guard = composeTestGuard(
      {
        homeserverUrl: hs.baseUrl,
        guard: {
          dashboard: { listen: "127.0.0.1:0" },
          alerts: { room_id: room, access_token_file: botToken, commands: false },
        },
      },
      { lookup: new FakeLookupClient(), database: db },
    );
    if (guard.composed.dashboard === undefined) throw new Error("no dashboard");
    base = await guard.composed.dashboard.listen({ host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await guard?.close();
    await db?.close();
    await hs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const login = (fields: Record<string, string>) =>
    fetch(`${base}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });

  async function devices(user: RegisteredUser): Promise<number> {
    const answer = await hs
      .client(user)
      .call<{ devices: unknown[] }>("GET", "/_matrix/client/v3/devices");
    return answer.devices.length;
  }

  it("lets a server admin in by password and logs that Matrix session out again", async () => {
    const before = await devices(admin);
    const answer = await login({ user: "admin", password: admin.password });
    expect(answer.status).toBe(303);
    const cookie = answer.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^redlight_session=[\w-]{40,}; HttpOnly; SameSite=Strict/);
    const page = await fetch(`${base}/frozen`, { headers: { cookie: cookie.split(";")[0] ?? "" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`${admin.userId} (server admin)`);
    expect(await devices(admin)).toBe(before);
  });

  it("lets an alert-room moderator in by access token, not a plain member nor a wrong password", async () => {
    const moderator = await login({ access_token: mod.accessToken });
    expect(moderator.status).toBe(303);
    const plain = await login({ access_token: member.accessToken });
    expect(plain.status).toBe(403);
    expect(plain.headers.get("set-cookie")).toBeNull();
    expect(await plain.text()).toContain("may not use the dashboard");
    const wrong = await login({ user: "mod", password: "not-the-password" });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain("refused this user and password");
  });
});
