/**
 * The guard proven on a real Synapse 1.163 with synapse-http-antispam 0.5.1, configured by
 * the same function that writes the admin documentation's module block. One Synapse, one
 * lookup service (in-process, SQLite, a synthetic list the test grows), one guard started
 * from a config file exactly as `redlight guard --config FILE` starts it.
 * The guard proven on a real Synapse, scenarios 1–6, once with each lookup protocol: LJS-4 v1
 * and the private lookup (v2, docs/private-lookup.md), whose client the gates cannot tell
 * apart from v1's.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { main as cli } from "../src/cli.js";
import { createLogger } from "../src/observability/logger.js";
import { startGuard, type GuardHandle } from "../src/services/guard/main.js";
import { antispamModuleConfig } from "../src/services/guard/module-config.js";
import {
  freePort,
  privateLookupSection,
  TestLookup,
  writeGuardConfig,
  writeGuardSecrets,
  type GuardRunConfig,
} from "./guard-fixture.js";
import type { MatrixTestClient, RoomMessage } from "./support/matrix-client.js";
import { startSynapse, type RegisteredUser, type SynapseHandle } from "./support/synapse.js";

const JOIN_REFUSED = "Synthetic refusal: this room is not available from here.";
const JOIN_REFUSED_DE = "Synthetische Ablehnung: dieser Raum ist von hier nicht erreichbar.";
const RESTRICTED = "Synthetic: your account cannot join rooms right now.";
const INVITE_REFUSED = "Synthetic: this invite was refused.";
const UNAVAILABLE = "Synthetic: try again later.";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe.each(["v1", "v2"] as const)("the guard on a real Synapse, lookup %s", (protocol) => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-guard-e2e-"));
  let lookup: TestLookup;
  let hs: SynapseHandle;
  let guard: GuardHandle | undefined;
  let config: GuardRunConfig;
  let configFile: string;
  let bot: RegisteredUser;
  let admin: MatrixTestClient;
  let owner: MatrixTestClient;
  let users: Record<
    "alice" | "bob" | "dave" | "frank" | "grace" | "inviter" | "mod" | "member",
    MatrixTestClient
  >;
  let alertRoom: string;
  let listed: string[];

  /** Bot messages in the alert room that satisfy `matches`, waiting for at least one. */
  const waitForAlert = (
    matches: (body: string) => boolean,
    timeoutMs = 60_000,
  ): Promise<RoomMessage> =>
    admin.waitForMessage(alertRoom, (m) => m.sender === bot.userId && matches(m.body), timeoutMs);
  const alerts = async (prefix: string) =>
    (await admin.getMessages(alertRoom, 200)).filter(
      (m) => m.sender === bot.userId && m.body.startsWith(prefix),
    );
  const publicRoom = () => owner.createRoom({ preset: "public_chat" });
  const metric = async (line: string) => {
    const text = await (await fetch(`${guard!.operationsUrl}/metrics`)).text();
    const found = text.split("\n").find((l) => l.startsWith(line));
    return found === undefined ? 0 : Number(found.split(" ").pop());
  };

  beforeAll(async () => {
    lookup = await TestLookup.create(dir, protocol === "v2" ? privateLookupSection(dir) : {});
    await lookup.start();
    writeGuardSecrets(dir, lookup.token);
    writeFileSync(join(dir, "terms.txt"), "# synthetic, benign test term\npineapple\n");
    const ports = { guardPort: await freePort(), operationsPort: await freePort() };
    const section = {
      ...(protocol === "v2"
        ? { lookup: { url: lookup.url, api_token_file: "./secrets/lookup-token", protocol } }
        : {}),
      fail_mode: { user_may_join_room: "closed", user_may_invite: "open" },
      cache: { clean_ttl: "500ms" },
      freeze: { suspend_account: true },
      terms: [{ id: "fruit", harms: ["m.spam"], file: "./terms.txt" }],
      messages: {
        join_refused: { en: JOIN_REFUSED, de: JOIN_REFUSED_DE },
        account_restricted: { en: RESTRICTED },
        invite_refused: { en: INVITE_REFUSED },
        unavailable: { en: UNAVAILABLE },
      },
    };
    const base = { dir, lookupUrl: lookup.url, lookupToken: lookup.token, ...ports };
    // Synapse needs the module config before the guard can know Synapse's URL; the module
    // config depends only on the guard's listen address, secret file and fail modes.
    const early = writeGuardConfig({
      ...base,
      homeserverUrl: "http://127.0.0.1:1",
      guard: section,
    });
    hs = await startSynapse({ antispam: antispamModuleConfig(early.config.guard) });

    const adminUser = await hs.registerUser("admin", { admin: true });
    admin = hs.client(adminUser);
    owner = hs.client(await hs.registerUser("owner"));
    bot = await hs.registerUser("redlight-bot");
    const names = ["alice", "bob", "dave", "frank", "grace", "inviter", "mod", "member"] as const;
    users = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, hs.client(await hs.registerUser(n))] as const)),
    ) as typeof users;
    // Admins bypass the callbacks, so the alert room is set up before the guard runs.
    alertRoom = await admin.createRoom({
      preset: "private_chat",
      name: "Redlight alerts",
      invite: [bot.userId, users.mod.userId, users.member.userId],
    });
    await admin.setPowerLevel(alertRoom, users.mod.userId, 50);

    ({ file: configFile, config } = writeGuardConfig({
      ...base,
      homeserverUrl: hs.baseUrl,
      adminToken: adminUser.accessToken,
      alerts: { roomId: alertRoom, botToken: bot.accessToken },
      guard: { ...section, alerts: { invite_summary_interval: "3s" } },
    }));
    const logger = createLogger(
      "info",
      "guard",
      pino.destination({ dest: join(dir, "guard.log"), sync: true }),
    );
    guard = await startGuard(config, logger);
    for (const member of [users.mod, users.member])
      expect(await member.join(alertRoom)).toMatchObject({ ok: true });
    for (
      const until = Date.now() + 60_000;
      (await admin.membership(alertRoom, bot.userId)) !== "join";
    ) {
      if (Date.now() > until) throw new Error("the alert bot did not join the alert room");
      await sleep(100);
    }
    listed = [await publicRoom(), await publicRoom(), await publicRoom()];
    await lookup.list(...listed);
  });

  afterAll(async () => {
    await guard?.stop();
    await hs?.stop();
    await lookup?.stop();
    if (process.env["REDLIGHT_KEEP_E2E"] !== "1") rmSync(dir, { recursive: true, force: true });
  });

  it("1. allows a clean join; refuses a listed room with our errcode and message; alerts without the room id", async () => {
    const { alice } = users;
    const clean = await publicRoom();
    expect(await alice.join(clean)).toEqual({ ok: true, value: { roomId: clean } });
    const refused = await alice.join(listed[0]!);
    expect(refused).toMatchObject({
      ok: false,
      error: { status: 403, errcode: "M_FORBIDDEN", error: JOIN_REFUSED },
    });
    expect(!refused.ok && refused.error.body["org.matrix.msc4176.messages"]).toEqual({
      en: JOIN_REFUSED,
      de: JOIN_REFUSED_DE,
    });
    expect(await owner.membership(listed[0]!, alice.userId)).toBeUndefined();

    const alert = await waitForAlert((b) => b.startsWith(`Join refused: ${alice.userId}`));
    expect(alert.body).toBe(
      `Join refused: ${alice.userId} tried to join a listed room (report ${lookup.reportOf(listed[0]!)}; tags csam).`,
    );
    expect(alert.msgtype).toBe("m.notice");
    expect(alert.content["formatted_body"]).toContain(`<code>${alice.userId}</code>`);
    expect(JSON.stringify(alert.content)).not.toContain(listed[0]);
  });

  it("2. three attempts freeze (and suspend) the account; the CLI and a moderator's command unfreeze it", async () => {
    const { bob, dave, mod, member } = users;
    const clean = await publicRoom();
    for (const room of listed)
      expect(await bob.join(room)).toMatchObject({ ok: false, error: { error: JOIN_REFUSED } });
    await waitForAlert(
      (b) =>
        b.startsWith(`Account frozen: ${bob.userId} reached the limit`) &&
        b.includes("suspended in Synapse"),
    );
    // Synapse itself refuses the suspended account…
    expect(await bob.join(clean)).toMatchObject({
      ok: false,
      error: { status: 403, errcode: "M_USER_SUSPENDED" },
    });
    // …and with the suspension lifted by hand, the freeze still refuses every join.
    await admin.call("PUT", `/_synapse/admin/v1/suspend/${encodeURIComponent(bob.userId)}`, {
      suspend: false,
    });
    expect(await bob.join(clean)).toMatchObject({
      ok: false,
      error: { errcode: "M_FORBIDDEN", error: RESTRICTED },
    });

    process.exitCode = undefined;
    await cli(["node", "redlight", "guard", "unfreeze", bob.userId, "--config", configFile]);
    expect(process.exitCode).toBeUndefined();
    await waitForAlert(
      (b) =>
        b ===
        `Account unfrozen: ${bob.userId} by the operations token. The freeze is lifted. The Synapse suspension is lifted.`,
    );
    expect(await bob.join(clean)).toEqual({ ok: true, value: { roomId: clean } });

    for (const room of listed) await dave.join(room);
    await waitForAlert((b) => b.startsWith(`Account frozen: ${dave.userId}`));
    await member.sendText(alertRoom, `!redlight unfreeze ${dave.userId}`);
    await waitForAlert(
      (b) => b === `${member.userId}: only moderators (power level 50 or more) may do this.`,
    );
    expect(await dave.join(clean)).toMatchObject({
      ok: false,
      error: { errcode: "M_USER_SUSPENDED" },
    });
    await mod.sendText(alertRoom, `!redlight unfreeze ${dave.userId}`);
    await waitForAlert((b) =>
      b.startsWith(`Account unfrozen: ${dave.userId} by ${mod.userId}. The freeze is lifted.`),
    );
    expect(await dave.join(clean)).toEqual({ ok: true, value: { roomId: clean } });
  });

  it("3. refuses an invite into a listed room and one to a room whose name matches a term list; one summary alert", async () => {
    const { inviter, frank } = users;
    const listedRoom = await inviter.createRoom({ preset: "private_chat" });
    await lookup.list(listedRoom);
    const fruity = await inviter.createRoom({
      preset: "private_chat",
      name: "Fresh P1neapple Club",
    });
    const plain = await inviter.createRoom({ preset: "private_chat", name: "Apple Club" });
    const refusal = {
      ok: false,
      error: { status: 403, errcode: "M_FORBIDDEN", error: INVITE_REFUSED },
    };
    expect(await inviter.invite(listedRoom, frank.userId)).toMatchObject(refusal);
    expect(await inviter.invite(fruity, frank.userId)).toMatchObject(refusal);
    expect(await inviter.invite(plain, frank.userId)).toEqual({ ok: true, value: undefined });
    expect(await inviter.membership(fruity, frank.userId)).toBeUndefined();
    expect(await inviter.membership(plain, frank.userId)).toBe("invite");

    // A wave is summarised per interval; the two refusals may straddle an interval's end.
    let counted = 0;
    for (let i = 0; counted < 2 && i < 100; i++) {
      const summaries = await alerts("Invites refused: ");
      counted = summaries.reduce(
        (n, m) => n + Number(/^Invites refused: (\d+) invite/.exec(m.body)?.[1] ?? 0),
        0,
      );
      for (const m of summaries) {
        expect(m.body).toMatch(
          /^Invites refused: \d+ invites? from 1 server refused in the last 3 s \((room name or topic|listed room)/,
        );
        expect(m.body).not.toContain(listedRoom);
      }
      await sleep(200);
    }
    expect(counted).toBe(2);
  });

  it("4. profile changes inside a room listed after the user joined do not freeze them; moderators hear of it once", async () => {
    const { grace } = users;
    const room = await publicRoom();
    expect((await grace.join(room)).ok).toBe(true);
    await lookup.list(room);
    await sleep(600); // the room's clean verdict (500 ms in this config) expires
    const listedMember = () =>
      metric(
        'redlight_guard_decisions_total{callback="user_may_join_room",verdict="refuse",reason="listed_member"}',
      );
    const before = await listedMember();
    // Synapse updates each joined room in a background task (and supersedes a pending one),
    // so each change is awaited before the next: four callbacks on a listed room.
    for (let change = 1; change <= 4; change++) {
      await grace.setDisplayName(`Grace ${change}`);
      for (const until = Date.now() + 60_000; (await listedMember()) - before < change;) {
        if (Date.now() > until) throw new Error(`no callback for profile change ${change}`);
        await sleep(100);
      }
    }
    const alert = await waitForAlert((b) =>
      b.startsWith(`User inside a listed room: ${grace.userId}`),
    );
    expect(alert.body).toContain(`report ${lookup.reportOf(room)}`);
    expect(await alerts(`User inside a listed room: ${grace.userId}`)).toHaveLength(1);
    expect(await owner.membership(room, grace.userId)).toBe("join");
    // Four callbacks on a listed room, yet no freeze: a fresh join still passes.
    const clean = await publicRoom();
    expect(await grace.join(clean)).toEqual({ ok: true, value: { roomId: clean } });
    expect(await alerts(`Account frozen: ${grace.userId}`)).toEqual([]);
  });

  it("5. with the lookup service stopped, joins fail closed and invites fail open as configured, with alerts", async () => {
    const { alice, inviter, frank } = users;
    const room = await publicRoom();
    const inviteRoom = await inviter.createRoom({ preset: "private_chat" });
    await lookup.stop();
    expect(await alice.join(room)).toMatchObject({
      ok: false,
      error: { status: 403, errcode: "M_FORBIDDEN", error: UNAVAILABLE },
    });
    expect(await inviter.invite(inviteRoom, frank.userId)).toEqual({ ok: true, value: undefined });
    const degraded = await waitForAlert((b) =>
      b.startsWith("Protection degraded: the lookup service does not answer (unreachable"),
    );
    expect(degraded.body).toContain("user_may_join_room refused");
    expect(degraded.body).toContain("user_may_invite allowed unchecked");
    await lookup.start();
    const restored = await waitForAlert((b) => b.startsWith("Protection restored:"));
    expect(restored.body).toContain(
      "1 decision(s) were allowed unchecked and 1 refused by fail mode",
    );
    expect(await alice.join(room)).toEqual({ ok: true, value: { roomId: room } });
  });

  it("6. Synapse runs the documented module config; with the guard down it applies the same fail modes", async () => {
    const homeserver = parseYaml(readFileSync(join(hs.dir, "homeserver.yaml"), "utf8")) as {
      modules: { config: unknown }[];
    };
    expect(homeserver.modules[0]?.config).toEqual(antispamModuleConfig(config.guard));
    expect(await hs.readLog()).toContain("Successfully pinged antispam server");
    const { alice, inviter, frank } = users;
    const room = await publicRoom();
    const inviteRoom = await inviter.createRoom({ preset: "private_chat" });
    await guard?.stop();
    guard = undefined;
    expect(await alice.join(room)).toMatchObject({
      ok: false,
      error: { status: 403, errcode: "M_UNKNOWN" },
    });
    expect(await inviter.invite(inviteRoom, frank.userId)).toEqual({ ok: true, value: undefined });
  });
});
