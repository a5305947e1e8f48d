/**
 * Reports proven on a real Synapse 1.163 (docs/reports.md): a user reports an event and a
 * user; each reaches the alert room once, within 10 s, with a short id; a member below
 * power level 50 is refused and an unknown id is refused, nothing changed; a moderator's
 * `!redlight escalate` puts the room in the provider's review queue; `redlight reports
 * accept` lists it; after the lookup service's reload the guard refuses joins to it and
 * the alert room hears the outcome. Synthetic ids and benign words only.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as cli } from "../src/cli.js";
import { generateListKey } from "../src/list/encryption.js";
import { createLogger } from "../src/observability/logger.js";
import { startGuard, type GuardHandle } from "../src/services/guard/main.js";
import { antispamModuleConfig } from "../src/services/guard/module-config.js";
import { Cursors, openGuardDatabase } from "../src/storage/guard-database.js";
import { openStorage } from "../src/storage/open.js";
import {
  freePort,
  TestLookup,
  writeGuardConfig,
  writeGuardSecrets,
  type GuardRunConfig,
} from "./guard-fixture.js";
import type { MatrixTestClient, RoomMessage } from "./support/matrix-client.js";
import { startSynapse, type RegisteredUser, type SynapseHandle } from "./support/synapse.js";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const enc = encodeURIComponent;

describe("reports on a real Synapse", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-reports-e2e-"));
  let lookup: TestLookup;
  let hs: SynapseHandle;
  let guard: GuardHandle | undefined;
  let config: GuardRunConfig;
  let bot: RegisteredUser;
  let admin: MatrixTestClient;
  let users: Record<"owner" | "alice" | "bob" | "carol" | "mod" | "member", MatrixTestClient>;
  let alertRoom: string;
  let providerConfig: string;

  const botMessages = async () =>
    (await admin.getMessages(alertRoom, 200)).filter((m) => m.sender === bot.userId);
  const waitForAlert = (matches: (body: string) => boolean): Promise<RoomMessage> =>
    admin.waitForMessage(alertRoom, (m) => m.sender === bot.userId && matches(m.body), 60_000);

  /** Polls `condition` until it holds (generous deadline: the machine may be busy). */
  async function until<T>(what: string, condition: () => Promise<T | undefined>): Promise<T> {
    for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
      const value = await condition();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }
  }

  beforeAll(async () => {
    writeFileSync(join(dir, "list.key"), generateListKey(), { mode: 0o600 });
    const reports = {
      encryption_key_file: join(dir, "list.key"),
      list_file: join(dir, "reports.json.enc"),
      refresh: "1h",
    };
    lookup = await TestLookup.create(dir, { reports }, ["directory", "report"]);
    await lookup.start();
    providerConfig = join(dir, "provider.yaml");
    writeFileSync(
      providerConfig,
      JSON.stringify({
        database: `sqlite:${join(dir, "lookup.db")}`,
        lookup: { filtered_tags: ["csam"], reports },
      }),
    );
    writeGuardSecrets(dir, lookup.token);
    const ports = { guardPort: await freePort(), operationsPort: await freePort() };
    const section = {
      cache: { clean_ttl: "500ms" },
      reports: { poll_interval: "1s", escalation_poll_interval: "1s" },
    };
    const base = { dir, lookupUrl: lookup.url, lookupToken: lookup.token, ...ports };
    const early = writeGuardConfig({
      ...base,
      homeserverUrl: "http://127.0.0.1:1",
      guard: section,
    });
    hs = await startSynapse({ antispam: antispamModuleConfig(early.config.guard) });

    const adminUser = await hs.registerUser("admin", { admin: true });
    admin = hs.client(adminUser);
    bot = await hs.registerUser("redlight-bot");
    const names = ["owner", "alice", "bob", "carol", "mod", "member"] as const;
    users = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, hs.client(await hs.registerUser(n))] as const)),
    ) as typeof users;
    alertRoom = await admin.createRoom({
      preset: "private_chat",
      name: "Redlight alerts",
      invite: [bot.userId, users.mod.userId, users.member.userId],
    });
    await admin.setPowerLevel(alertRoom, users.mod.userId, 50);

    ({ config } = writeGuardConfig({
      ...base,
      homeserverUrl: hs.baseUrl,
      adminToken: adminUser.accessToken,
      alerts: { roomId: alertRoom, botToken: bot.accessToken },
      guard: section,
    }));
    const logger = createLogger(
      "info",
      "guard",
      pino.destination({ dest: join(dir, "guard.log"), sync: true }),
    );
    guard = await startGuard(config, logger);
    for (const member of [users.mod, users.member])
      expect(await member.join(alertRoom)).toMatchObject({ ok: true });
    await until("the alert bot in the alert room", async () =>
      (await admin.membership(alertRoom, bot.userId)) === "join" ? true : undefined,
    );
    // The first pass starts after the newest report: wait for it before reporting.
    const db = await openGuardDatabase(config.guard.database);
    try {
      const cursors = new Cursors(db);
      await until("the report cursors", async () =>
        (await cursors.get("reports.event")) !== undefined &&
        (await cursors.get("reports.user")) !== undefined
          ? true
          : undefined,
      );
    } finally {
      await db.close();
    }
  });

  afterAll(async () => {
    await guard?.stop();
    await hs?.stop();
    await lookup?.stop();
    if (process.env["REDLIGHT_KEEP_E2E"] !== "1") rmSync(dir, { recursive: true, force: true });
  });

  it("brings an event report and a user report to the alert room once each, within 10 s; commands act on them; an escalated room ends up listed", async () => {
    const { owner, alice, bob, carol, mod, member } = users;
    const room = await owner.createRoom({ preset: "public_chat" });
    for (const u of [alice, bob]) expect(await u.join(room)).toMatchObject({ ok: true });
    const event = await bob.sendText(room, "synthetic quokkaberry message");

    const reportedAt = Date.now();
    await alice.call("POST", `/_matrix/client/v3/rooms/${enc(room)}/report/${enc(event)}`, {
      reason: "synthetic <b>quokkaberry</b> report",
    });
    await alice.call("POST", `/_matrix/client/v3/users/${enc(bob.userId)}/report`, {
      reason: "synthetic user report",
    });
    const eventAlert = await waitForAlert(
      (b) => b.startsWith("Report e") && b.includes(`${alice.userId} reported an event`),
    );
    const userAlert = await waitForAlert(
      (b) => b.startsWith("Report u") && b.includes(`reported the user ${bob.userId}`),
    );
    expect(Math.max(eventAlert.originServerTs, userAlert.originServerTs) - reportedAt).toBeLessThan(
      10_000,
    );
    expect(eventAlert.body).toContain("The room is not listed.");
    expect(eventAlert.body).toContain(`by ${bob.userId}`);
    expect(eventAlert.content["formatted_body"]).toContain("&lt;b&gt;quokkaberry&lt;/b&gt;");
    const eventId = /^Report (e\d+)/.exec(eventAlert.body)?.[1] as string;
    const userId = /^Report (u\d+)/.exec(userAlert.body)?.[1] as string;

    // Below power level 50: refused, nothing changed.
    await member.sendText(alertRoom, `!redlight dismiss ${userId}`);
    await waitForAlert((b) => b.startsWith(`${member.userId}: only moderators`));
    await mod.sendText(alertRoom, "!redlight dismiss e999999");
    await waitForAlert((b) => b.includes("there is no report e999999"));
    await mod.sendText(alertRoom, `!redlight dismiss ${userId}`);
    await waitForAlert((b) => b === `${mod.userId} dismissed report ${userId}.`);
    // Each report was posted exactly once (the commands' replies came after later polls).
    const bodies = (await botMessages()).map((m) => m.body);
    expect(bodies.filter((b) => b.startsWith(`Report ${eventId}:`))).toHaveLength(1);
    expect(bodies.filter((b) => b.startsWith(`Report ${userId}:`))).toHaveLength(1);

    // Escalate: the room enters the provider's review queue.
    await mod.sendText(alertRoom, `!redlight escalate ${eventId} synthetic escalation`);
    await waitForAlert((b) => b.startsWith(`${mod.userId} escalated report ${eventId}`));
    const storage = await openStorage(`sqlite:${join(dir, "lookup.db")}`);
    const [queued] = await storage.listReviewReports("pending");
    await storage.close();
    expect(queued).toBeDefined();
    const ref = queued!.ref;

    // The provider accepts; after the reload, joins are refused and the alert room hears it.
    process.exitCode = undefined;
    await cli([
      "node",
      "redlight",
      "reports",
      "accept",
      ref,
      "--tags",
      "csam",
      "--config",
      providerConfig,
    ]);
    expect(process.exitCode).toBeUndefined();
    await lookup.handle!.reload();
    await waitForAlert((b) => b.startsWith(`Report ${eventId} accepted by the provider`));
    const refused = await until("the join refused", async () => {
      const joined = await carol.join(room);
      return joined.ok ? (await carol.leave(room), undefined) : joined;
    });
    expect(refused).toMatchObject({ ok: false, error: { status: 403 } });
    const outcome = (await botMessages()).filter((m) =>
      m.body.includes("accepted by the provider"),
    );
    expect(outcome).toHaveLength(1);
    expect(JSON.stringify(outcome[0]?.content)).not.toContain(room);
  });
});
