/**
 * Sweeps proven on a real Synapse 1.163 (one Synapse for the file, no antispam module: a
 * sweep needs only the admin API, and every refusal seen here is Synapse's own). Invites
 * and memberships made before a room is listed, or before the guard runs, are what a sweep
 * is for. Synthetic rooms, benign words only.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main as cli } from "../src/cli.js";
import { createLogger } from "../src/observability/logger.js";
import { startGuard, type GuardHandle } from "../src/services/guard/main.js";
import { freePort, TestLookup, writeGuardConfig, writeGuardSecrets } from "./guard-fixture.js";
import type { MatrixTestClient, RoomMessage } from "./support/matrix-client.js";
import { startSynapse, type RegisteredUser, type SynapseHandle } from "./support/synapse.js";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe("sweeps on a real Synapse", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-sweep-e2e-"));
  let lookup: TestLookup;
  let hs: SynapseHandle;
  let guard: GuardHandle | undefined;
  let bot: RegisteredUser;
  let admin: MatrixTestClient;
  let owner: MatrixTestClient;
  let users: Record<"carol" | "dan" | "erin" | "hal", MatrixTestClient>;
  let alertRoom: string;
  let rooms: { named: string; invited: string; joined: string; clean: string };
  let base: Parameters<typeof writeGuardConfig>[0];
  const section = (members: string[]) => ({
    terms: [{ id: "fruit", harms: ["m.spam"], file: "./terms.txt" }],
    sweep: { interval: "1h", members_of_listed_rooms: members },
  });

  const sweepAlerts = async (): Promise<RoomMessage[]> =>
    (await admin.getMessages(alertRoom, 200)).filter(
      (m) => m.sender === bot.userId && m.body.startsWith("Sweep:"),
    );
  /** A user's membership in a room, from the admin API (the asker need not be in the room). */
  const membershipOf = async (user: string, room: string): Promise<string | undefined> => {
    const answer = await admin.call<{ memberships: Record<string, string> }>(
      "GET",
      `/_synapse/admin/v1/users/${encodeURIComponent(user)}/memberships`,
    );
    return answer.memberships[room];
  };
  const until = async (what: string, condition: () => Promise<boolean>) => {
    for (const end = Date.now() + 120_000; !(await condition()); await sleep(200))
      if (Date.now() > end) throw new Error(`not reached: ${what}`);
  };
  /** Runs `redlight guard sweep` and returns what it printed. */
  const sweepCli = async (file: string, ...flags: string[]): Promise<string> => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      process.exitCode = undefined;
      await cli(["node", "redlight", "guard", "sweep", "--config", file, ...flags]);
    } finally {
      spy.mockRestore();
    }
    expect(process.exitCode).toBeUndefined();
    return lines.join("");
  };

  beforeAll(async () => {
    lookup = await TestLookup.create(dir);
    await lookup.start();
    writeGuardSecrets(dir, lookup.token);
    writeFileSync(join(dir, "terms.txt"), "# synthetic, benign test term\nquokkaberry\n");
    hs = await startSynapse();
    const adminUser = await hs.registerUser("admin", { admin: true });
    admin = hs.client(adminUser);
    owner = hs.client(await hs.registerUser("owner"));
    bot = await hs.registerUser("redlight-bot");
    const names = ["carol", "dan", "erin", "hal"] as const;
    users = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, hs.client(await hs.registerUser(n))] as const)),
    ) as typeof users;
    alertRoom = await admin.createRoom({
      preset: "private_chat",
      name: "Redlight alerts",
      invite: [bot.userId],
    });
    // Before any guard runs: a term-named invite, an invite and a membership in rooms that
    // will be listed, and an invite to a clean room that must stay.
    rooms = {
      named: await owner.createRoom({ preset: "private_chat", name: "The Quokkaberry Club" }),
      invited: await owner.createRoom({ preset: "private_chat" }),
      joined: await owner.createRoom({ preset: "public_chat" }),
      clean: await owner.createRoom({ preset: "private_chat", name: "Gardening" }),
    };
    for (const room of [rooms.named, rooms.clean])
      expect(await owner.invite(room, users.carol.userId)).toMatchObject({ ok: true });
    expect(await owner.invite(rooms.invited, users.dan.userId)).toMatchObject({ ok: true });
    expect(await users.erin.join(rooms.joined)).toMatchObject({ ok: true });
    await lookup.list(rooms.invited);
    base = {
      dir,
      lookupUrl: lookup.url,
      lookupToken: lookup.token,
      guardPort: await freePort(),
      operationsPort: await freePort(),
      homeserverUrl: hs.baseUrl,
      adminToken: adminUser.accessToken,
      alerts: { roomId: alertRoom, botToken: bot.accessToken },
    };
  });

  afterAll(async () => {
    await guard?.stop();
    await hs?.stop();
    await lookup?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("--dry-run finds the invites and changes nothing", async () => {
    const { file } = writeGuardConfig({ ...base, guard: section(["alert", "evict", "block"]) });
    const out = await sweepCli(file, "--dry-run");
    expect(out).toContain("dry run: nothing was changed");
    expect(out).toMatch(/pending invites rejected: 2 \(would be\)/);
    expect(await membershipOf(users.dan.userId, rooms.invited)).toBe("invite");
    expect(await membershipOf(users.carol.userId, rooms.named)).toBe("invite");
    expect(await membershipOf(users.erin.userId, rooms.joined)).toBe("join");
    expect(await sweepAlerts()).toEqual([]);
  });

  it("the first sweep rejects the pending invite to a listed room and the term-named one; the alert room hears it once", async () => {
    const { config } = writeGuardConfig({ ...base, guard: section(["alert"]) });
    const logger = createLogger(
      "info",
      "guard",
      pino.destination({ dest: join(dir, "guard.log"), sync: true }),
    );
    guard = await startGuard(config, logger);
    await until(
      "invites rejected",
      async () =>
        (await membershipOf(users.dan.userId, rooms.invited)) === "leave" &&
        (await membershipOf(users.carol.userId, rooms.named)) === "leave",
    );
    expect(await membershipOf(users.carol.userId, rooms.clean)).toBe("invite");
    await until("the sweep alert", async () => (await sweepAlerts()).length > 0);
    const [alert] = await sweepAlerts();
    expect(alert!.body).toContain("pending invites rejected: 2");
    expect(alert!.body).toContain("of them for room names or topics: 1");
    expect(alert!.body).toContain(lookup.reportOf(rooms.invited));
    expect(alert!.body).not.toContain(rooms.invited);
  });

  it("a room that becomes listed with a local member inside is reported, the member stays (alert only)", async () => {
    await lookup.list(rooms.joined);
    // The guard polls list_version (every 30 s) and sweeps again on the change.
    await until("the members alert", async () =>
      (await sweepAlerts()).some((m) => m.body.includes(lookup.reportOf(rooms.joined)!)),
    );
    const alerts = await sweepAlerts();
    const members = alerts.filter((m) => m.body.includes(lookup.reportOf(rooms.joined)!));
    expect(members).toHaveLength(1);
    expect(members[0]!.body).toContain("listed rooms with local members: 1");
    expect(await membershipOf(users.erin.userId, rooms.joined)).toBe("join");
    // The first sweep's rejections were alerted once, not again.
    const first = alerts.filter((m) => m.body.includes(lookup.reportOf(rooms.invited)!));
    expect(first).toHaveLength(1);
    await guard?.stop();
    guard = undefined;
  });

  it("with evict the member leaves; with block a later join by anyone is refused by Synapse", async () => {
    const { file } = writeGuardConfig({ ...base, guard: section(["alert", "evict", "block"]) });
    const out = await sweepCli(file);
    expect(out).toMatch(/local members made to leave: [1-9]/);
    expect(out).toContain("rooms blocked: 2"); // both listed rooms have the owner inside
    // Left: no longer among her rooms (with no local member left, Synapse drops the room's state).
    expect(await users.erin.joinedRooms()).not.toContain(rooms.joined);
    expect(await membershipOf(users.erin.userId, rooms.joined)).not.toBe("join");
    const join = await users.hal.join(rooms.joined);
    expect(join).toMatchObject({ ok: false, error: { status: 403 } });
    expect(!join.ok && join.error.body["error"]).toMatch(/blocked/i);
  });
});
