/**
 * Knocks and room reports through the guard's client-API proxy, proven on a real Synapse
 * 1.163: Synapse calls no spam-checker callback for a knock, so only the proxy stands
 * between a user and a listed knockable room. One Synapse, one lookup service (in-process,
 * a synthetic list), the guard's real graph (composeGuard) from a config file, with its
 * alert room; the proxy listens as `redlight guard` makes it listen.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listenOn } from "../src/http/listen.js";
import { createLogger } from "../src/observability/logger.js";
import { openGuardDatabase } from "../src/storage/guard-database.js";
import type { SqlDatabase } from "../src/storage/sql-database.js";
import { DecisionQueries } from "../src/services/guard/decisions/decision-queries.js";
import type { RoomReport } from "../src/services/guard/client-proxy/room-reports.js";
import { composeGuard, type ComposedGuard } from "../src/services/guard/compose.js";
import { freePort, TestLookup, writeGuardConfig, writeGuardSecrets } from "./guard-fixture.js";
import type { MatrixTestClient, RoomMessage } from "./support/matrix-client.js";
import { startSynapse, type RegisteredUser, type SynapseHandle } from "./support/synapse.js";

const JOIN_REFUSED = "Synthetic refusal: this room is not available from here.";
const RESTRICTED = "Synthetic: your account cannot join rooms right now.";
const KNOCK_RULE = [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }];

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe("knocks and room reports through the client-API proxy, on a real Synapse", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-knock-e2e-"));
  let lookup: TestLookup;
  let hs: SynapseHandle;
  let composed: ComposedGuard | undefined;
  let guardDb: SqlDatabase;
  let proxy: string;
  let bot: RegisteredUser;
  let admin: MatrixTestClient;
  let owner: MatrixTestClient;
  let users: Record<"alice" | "bob" | "carol", { client: MatrixTestClient; token: string }>;
  let alertRoom: string;
  let listed: string[];
  const reports: RoomReport[] = [];

  const knockableRoom = (alias?: string) =>
    owner.createRoom({
      preset: "private_chat",
      initialState: KNOCK_RULE,
      ...(alias === undefined ? {} : { roomAliasName: alias }),
    });
  const knock = async (who: keyof typeof users, target: string) => {
    const res = await fetch(`${proxy}/_matrix/client/v3/knock/${encodeURIComponent(target)}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${users[who].token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ reason: "Synthetic: quokkaberry fan, may I come in?" }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const waitForAlert = (matches: (body: string) => boolean): Promise<RoomMessage> =>
    admin.waitForMessage(alertRoom, (m) => m.sender === bot.userId && matches(m.body), 60_000);

  beforeAll(async () => {
    lookup = await TestLookup.create(dir);
    await lookup.start();
    writeGuardSecrets(dir, lookup.token);
    hs = await startSynapse();
    const adminUser = await hs.registerUser("admin", { admin: true });
    admin = hs.client(adminUser);
    owner = hs.client(await hs.registerUser("owner"));
    bot = await hs.registerUser("redlight-bot");
    const names = ["alice", "bob", "carol"] as const;
    users = Object.fromEntries(
      await Promise.all(
        names.map(async (n) => {
          const user = await hs.registerUser(n);
          return [n, { client: hs.client(user), token: user.accessToken }] as const;
        }),
      ),
    ) as typeof users;
    alertRoom = await admin.createRoom({
      preset: "private_chat",
      name: "Redlight alerts",
      invite: [bot.userId],
    });
    const { config } = writeGuardConfig({
      dir,
      lookupUrl: lookup.url,
      lookupToken: lookup.token,
      guardPort: await freePort(),
      operationsPort: await freePort(),
      homeserverUrl: hs.baseUrl,
      adminToken: adminUser.accessToken,
      alerts: { roomId: alertRoom, botToken: bot.accessToken },
      guard: {
        client_proxy: { listen: "127.0.0.1:0" },
        reports: {},
        fail_mode: { user_may_join_room: "closed" },
        messages: {
          join_refused: { en: JOIN_REFUSED },
          account_restricted: { en: RESTRICTED },
        },
      },
    });
    const logger = createLogger(
      "info",
      "guard",
      pino.destination({ dest: join(dir, "guard.log"), sync: true }),
    );
    composed = composeGuard(config.guard, {
      logger,
      database: (guardDb = await openGuardDatabase("sqlite::memory:")),
      onRoomReport: (report) => reports.push(report),
    });
    proxy = await listenOn(
      composed.clientProxy!,
      config.guard.client_proxy?.listen ?? "127.0.0.1:0",
    );
    composed.start();
    for (
      const until = Date.now() + 60_000;
      (await admin.membership(alertRoom, bot.userId)) !== "join";
    ) {
      if (Date.now() > until) throw new Error("the alert bot did not join the alert room");
      await sleep(100);
    }
    listed = [await knockableRoom(), await knockableRoom(), await knockableRoom()];
    await lookup.list(...listed);
  });

  afterAll(async () => {
    await composed?.stop();
    await hs?.stop();
    await lookup?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets a knock on a clean knockable room through: the user's membership is knock", async () => {
    const clean = await knockableRoom();
    expect(await knock("alice", clean)).toEqual({ status: 200, body: { room_id: clean } });
    expect(await owner.membership(clean, users.alice.client.userId)).toBe("knock");
  });

  it("refuses a knock on a listed room: no knock membership, counted, the alert room hears it", async () => {
    const alice = users.alice.client.userId;
    const refused = await knock("alice", listed[0]!);
    expect(refused).toMatchObject({
      status: 403,
      body: { errcode: "M_FORBIDDEN", error: JOIN_REFUSED },
    });
    expect(await owner.membership(listed[0]!, alice)).toBeUndefined();
    const alert = await waitForAlert((b) => b.startsWith(`Join refused: ${alice}`));
    expect(alert.body).toContain(`report ${lookup.reportOf(listed[0]!)}`);
    expect(JSON.stringify(alert.content)).not.toContain(listed[0]);
    // The decisions log counts knocks as knocks, never as joins.
    await composed!.decisions!.flush();
    const rows = await new DecisionQueries(guardDb).counts(0, Number.MAX_SAFE_INTEGER);
    const sum = (action: string, outcome: string) =>
      rows
        .filter((r) => r.action === action && r.outcome === outcome)
        .reduce((n, r) => n + r.count, 0);
    expect([sum("knock", "refused"), sum("knock", "allowed"), sum("join", "refused")]).toEqual([
      1, 1, 0,
    ]);
  });

  it("freezes after three refused knocks; then a clean knockable room is refused too", async () => {
    const bob = users.bob.client.userId;
    for (const room of listed) {
      expect(await knock("bob", room)).toMatchObject({
        status: 403,
        body: { error: JOIN_REFUSED },
      });
      expect(await owner.membership(room, bob)).toBeUndefined();
    }
    await waitForAlert((b) => b.startsWith(`Account frozen: ${bob}`));
    const clean = await knockableRoom();
    expect(await knock("bob", clean)).toMatchObject({
      status: 403,
      body: { errcode: "M_FORBIDDEN", error: RESTRICTED },
    });
    expect(await owner.membership(clean, bob)).toBeUndefined();
  });

  it("decides a knock by alias the same way", async () => {
    const carol = users.carol.client.userId;
    const clean = await knockableRoom("quokkaberry-lobby");
    const listedByAlias = await knockableRoom("quokkaberry-cellar");
    await lookup.list(listedByAlias);
    const server = hs.serverName;
    expect(await knock("carol", `#quokkaberry-lobby:${server}`)).toEqual({
      status: 200,
      body: { room_id: clean },
    });
    expect(await owner.membership(clean, carol)).toBe("knock");
    expect(await knock("carol", `#quokkaberry-cellar:${server}`)).toMatchObject({
      status: 403,
      body: { error: JOIN_REFUSED },
    });
    expect(await owner.membership(listedByAlias, carol)).toBeUndefined();
    await waitForAlert((b) => b.startsWith(`Join refused: ${carol}`));
    expect(await knock("carol", `#nowhere:${server}`)).toMatchObject({
      status: 404,
      body: { errcode: "M_NOT_FOUND" },
    });
  });

  it("forwards a room report to Synapse, which stores it; the guard's copy reaches the alert room without the listed room id", async () => {
    const room = listed[1]!;
    const reason = "Synthetic report: quokkaberry spam";
    const res = await fetch(`${proxy}/_matrix/client/v3/rooms/${encodeURIComponent(room)}/report`, {
      method: "POST",
      headers: { authorization: `Bearer ${users.carol.token}` },
      body: JSON.stringify({ reason }),
    });
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(reports).toHaveLength(1), { timeout: 30_000 });
    expect(reports).toEqual([
      { reporter: users.carol.client.userId, roomId: room, reason, receivedAt: expect.any(Number) },
    ]);
    // Synapse 1.163 has no admin API for room reports: its own table shows it stored one.
    const db = new Database(join(hs.dir, "homeserver.db"), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("SELECT room_id, user_id, reason FROM room_reports").all();
      expect(rows).toEqual([{ room_id: room, user_id: users.carol.client.userId, reason }]);
    } finally {
      db.close();
    }
    // The copy reaches the alert room once, naming the reporter and the reason but not the
    // listed room.
    const alert = await waitForAlert(
      (b) => b.startsWith("Report ") && b.includes(users.carol.client.userId),
    );
    expect(alert.body).toContain(reason);
    expect(alert.body).toContain("LISTED");
    expect(alert.body).not.toContain(room);
  });
});
