/**
 * Proves the real-Synapse harness and pins the synapse-http-antispam contract facts marked
 * *(verify)* in synapse-http-antispam's README and Synapse's spam-checker module API against Synapse 1.163.2 and the
 * module 0.5.1. One Synapse serves every case; a stub endpoint plays the guard.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MatrixTestClient } from "./matrix-client.js";
import { startSynapse, type SynapseHandle } from "./synapse.js";

interface RecordedCall {
  readonly callback: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}
interface Reply {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}
/** Hang up without answering, to look like a crashed endpoint. */
const HANG_UP = "hang up";

const PREFIX = "/api/1/spam_check";
const SECRET = "synthetic-shared-secret";
const REFUSAL = { errcode: "M_FORBIDDEN", error: "synthetic refusal text" };
const json = (status: number, body: unknown): Reply => ({
  status,
  contentType: "application/json",
  body: JSON.stringify(body),
});

/** The stand-in for the guard: records every callback; allows with `200 {}` unless told otherwise. */
class AntispamStub {
  readonly calls: RecordedCall[] = [];
  readonly deniedRooms = new Set<string>();
  /** Overrides every answer except the ping's while set. */
  override: ((call: RecordedCall) => Reply | typeof HANG_UP) | undefined;
  private readonly server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      const call = {
        callback: (req.url ?? "").replace(`${PREFIX}/`, ""),
        headers: req.headers,
        body: JSON.parse(raw) as Record<string, unknown>,
      };
      this.calls.push(call);
      const reply = this.answer(call);
      if (reply === HANG_UP) return void req.socket.destroy();
      res.writeHead(
        reply.status,
        reply.contentType === undefined ? {} : { "content-type": reply.contentType },
      );
      res.end(reply.body);
    });
  });

  private answer(call: RecordedCall): Reply | typeof HANG_UP {
    if (call.callback === "ping") return json(200, { id: call.body["id"], status: "ok" });
    if (this.override !== undefined) return this.override(call);
    if (call.callback === "user_may_join_room" && this.deniedRooms.has(String(call.body["room"]))) {
      return json(403, REFUSAL);
    }
    return json(200, {});
  }

  async listen(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, "127.0.0.1", done));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${PREFIX}`;
  }
  close(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
  callsSince(mark: number, callback: string): RecordedCall[] {
    return this.calls.slice(mark).filter((c) => c.callback === callback);
  }
}

/**
 * Waits until `probe` answers something. Synapse does much in background tasks, and on a
 * busy machine they run late: the deadline is generous, the wait ends with the condition.
 */
async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((done) => setTimeout(done, 50));
  }
}

describe("real Synapse + synapse-http-antispam", () => {
  const stub = new AntispamStub();
  let hs: SynapseHandle;
  let admin: MatrixTestClient;
  let alice: MatrixTestClient;
  let bob: MatrixTestClient;
  const publicRoom = (): Promise<string> =>
    admin.createRoom({ preset: "public_chat", name: "Lobby" });

  beforeAll(async () => {
    const baseUrl = await stub.listen();
    hs = await startSynapse({
      antispam: {
        base_url: baseUrl,
        authorization: SECRET,
        enabled_callbacks: ["user_may_join_room", "user_may_invite", "federated_user_may_invite"],
        fail_open: { user_may_join_room: false, user_may_invite: true },
        do_ping: true,
      },
    });
    console.info(`Synapse started in ${hs.startupMs} ms`);
    admin = hs.client(await hs.registerUser("admin", { admin: true }));
    alice = hs.client(await hs.registerUser("alice"));
    bob = hs.client(await hs.registerUser("bob"));
  });
  afterAll(async () => {
    await hs?.stop();
    await stub.close();
  });
  beforeEach(() => {
    stub.override = undefined;
  });

  it("pings the endpoint at start-up with {id} and the bearer secret", async () => {
    const ping = await until(() => stub.calls.find((c) => c.callback === "ping"));
    expect(Object.keys(ping.body)).toEqual(["id"]);
    expect(ping.body["id"]).toMatch(/^[A-Za-z]{8}$/);
    expect(ping.headers["authorization"]).toBe(`Bearer ${SECRET}`);
    expect(ping.headers["content-type"]).toBe("application/json");
    expect(ping.headers["user-agent"]).toMatch(/^Synapse\/1\.163\.2/);
    expect(await hs.readLog()).toContain("Successfully pinged antispam server");
  });

  it("(a) lets a non-admin join a clean room; the body is {user, room, is_invited}", async () => {
    const room = await publicRoom();
    const mark = stub.calls.length;
    const joined = await alice.join(room);
    expect(joined).toEqual({ ok: true, value: { roomId: room } });
    const calls = stub.callsSince(mark, "user_may_join_room");
    expect(calls.map((c) => c.body)).toEqual([{ user: alice.userId, room, is_invited: false }]);
    expect(calls[0]?.headers["authorization"]).toBe(`Bearer ${SECRET}`);
  });

  it("sends is_invited: true for an invited user, and {inviter, invitee, room_id} to user_may_invite", async () => {
    const room = await alice.createRoom({ preset: "private_chat" });
    const mark = stub.calls.length;
    expect((await alice.invite(room, bob.userId)).ok).toBe(true);
    expect((await bob.join(room)).ok).toBe(true);
    expect(stub.callsSince(mark, "user_may_invite").map((c) => c.body)).toEqual([
      { inviter: alice.userId, invitee: bob.userId, room_id: room },
    ]);
    expect(stub.callsSince(mark, "user_may_join_room").map((c) => c.body)).toEqual([
      { user: bob.userId, room, is_invited: true },
    ]);
  });

  it("does not ask about server admins' invites", async () => {
    const room = await admin.createRoom({ preset: "private_chat" });
    const mark = stub.calls.length;
    expect((await admin.invite(room, bob.userId)).ok).toBe(true);
    expect(stub.callsSince(mark, "user_may_invite")).toEqual([]);
  });

  it("(b) refuses a join with 403 and exactly our errcode and error text", async () => {
    const room = await publicRoom();
    stub.deniedRooms.add(room);
    const joined = await alice.join(room);
    expect(joined).toEqual({ ok: false, error: { status: 403, ...REFUSAL, body: REFUSAL } });
    expect(await admin.membership(room, alice.userId)).toBeUndefined();
  });

  it("(b) answers 403 whatever our status; keeps an unknown errcode and extra fields verbatim", async () => {
    const room = await publicRoom();
    const ours = {
      errcode: "ORG.EXAMPLE.REFUSED",
      error: "synthetic other text",
      "org.example.hint": 7,
    };
    stub.override = (c) => (c.callback === "user_may_join_room" ? json(451, ours) : json(200, {}));
    const joined = await alice.join(room);
    // The module maps the unknown errcode to M_FORBIDDEN but leaves ours in the merged fields,
    // which Synapse applies after its own: the client sees our errcode.
    expect(joined).toEqual({
      ok: false,
      error: { status: 403, errcode: ours.errcode, error: ours.error, body: ours },
    });
  });

  it("does not ask about server admins' joins", async () => {
    const room = await alice.createRoom({ preset: "public_chat" });
    stub.deniedRooms.add(room);
    const mark = stub.calls.length;
    expect((await admin.join(room)).ok).toBe(true);
    expect(stub.callsSince(mark, "user_may_join_room")).toEqual([]);
  });

  it("(c) a display-name change asks user_may_join_room for every joined room; a refusal only skips that room", async () => {
    const kept = await publicRoom();
    const refused = await publicRoom();
    expect((await bob.join(kept)).ok).toBe(true);
    expect((await bob.join(refused)).ok).toBe(true);
    stub.deniedRooms.add(refused);
    const mark = stub.calls.length;
    await bob.setDisplayName("Bob Renamed");
    // The profile change reaches the rooms later, through a scheduled task, one room at a time.
    const joinedCount = (await bob.joinedRooms()).length;
    const calls = await until(() => {
      const seen = stub.callsSince(mark, "user_may_join_room").map((c) => c.body);
      return seen.length >= joinedCount ? seen : undefined;
    });
    expect(calls).toHaveLength(joinedCount);
    expect(calls).toContainEqual({ user: bob.userId, room: kept, is_invited: false });
    expect(calls).toContainEqual({ user: bob.userId, room: refused, is_invited: false });
    const member = (room: string) =>
      admin.getState<{ displayname?: string; membership: string }>(
        room,
        "m.room.member",
        bob.userId,
      );
    // The callbacks come before Synapse writes each room's new member event: wait for
    // Synapse's own state (the new name in the kept room, the refusal in its log).
    await until(async () =>
      (await member(kept)).displayname === "Bob Renamed" ? true : undefined,
    );
    const refusalLogged = `Failed to update join event for room ${refused}`;
    await until(async () => ((await hs.readLog()).includes(refusalLogged) ? true : undefined));
    expect(await member(kept)).toMatchObject({ membership: "join", displayname: "Bob Renamed" });
    // Synapse logs the refusal and leaves the old name (the localpart) in that room.
    expect(await member(refused)).toMatchObject({ membership: "join", displayname: "bob" });
  }, 120_000);

  it("(c) a re-join of a room the user is already in asks user_may_join_room again", async () => {
    const room = await publicRoom();
    expect((await alice.join(room)).ok).toBe(true);
    const mark = stub.calls.length;
    expect((await alice.join(room)).ok).toBe(true);
    expect(stub.callsSince(mark, "user_may_join_room").map((c) => c.body)).toEqual([
      { user: alice.userId, room, is_invited: false },
    ]);
    // And a refusal then makes the no-op re-join fail, though the user stays joined.
    stub.deniedRooms.add(room);
    expect(await alice.join(room)).toMatchObject({ ok: false, error: { status: 403, ...REFUSAL } });
    expect(await admin.membership(room, alice.userId)).toBe("join");
  });

  it("(d) refuses with M_UNKNOWN when the endpoint answers a non-JSON 500 and fail_open is false", async () => {
    const room = await publicRoom();
    stub.override = () => ({ status: 500, contentType: "text/plain", body: "internal fault" });
    const error = {
      status: 403,
      errcode: "M_UNKNOWN",
      error: "Unexpected response from antispam server",
    };
    expect(await alice.join(room)).toEqual({
      ok: false,
      error: { ...error, body: { errcode: error.errcode, error: error.error } },
    });
    expect(await hs.readLog()).toContain(
      "Unexpected response from antispam server: b'internal fault'",
    );
  });

  it("(d) treats a 2xx without a JSON body (204) and a hang-up as failures, refused when not fail_open", async () => {
    const failed = {
      status: 403,
      errcode: "M_UNKNOWN",
      error: "Failed to connect to antispam server",
    };
    stub.override = () => ({ status: 204, body: "" });
    expect(await alice.join(await publicRoom())).toMatchObject({ ok: false, error: failed });
    stub.override = () => HANG_UP;
    expect(await alice.join(await publicRoom())).toMatchObject({ ok: false, error: failed });
  });

  it("fails open for a callback listed with true in fail_open (user_may_invite here)", async () => {
    const room = await alice.createRoom({ preset: "private_chat" });
    stub.override = () => ({ status: 500, body: "internal fault" });
    const mark = stub.calls.length;
    expect((await alice.invite(room, bob.userId)).ok).toBe(true);
    expect(stub.callsSince(mark, "user_may_invite")).toHaveLength(1);
  });

  it("gives a test client what an alert-room test needs: messages, power levels, directory", async () => {
    const room = await admin.createRoom({
      preset: "private_chat",
      name: "Alerts",
      roomAliasName: "alerts",
    });
    expect(await admin.resolveAlias(`#alerts:${hs.serverName}`)).toBe(room);
    await admin.setPowerLevel(room, bob.userId, 50);
    expect(await admin.getState(room, "m.room.power_levels")).toMatchObject({
      users: { [bob.userId]: 50 },
    });
    expect((await admin.publishRoom(room)).ok).toBe(true);
    await admin.sendText(room, "first synthetic alert", true);
    await admin.sendText(room, "second synthetic alert");
    const found = await admin.waitForMessage(room, (m) => m.body === "second synthetic alert");
    expect(found).toMatchObject({ sender: admin.userId, msgtype: "m.text" });
    expect((await admin.getMessages(room)).map((m) => m.body)).toEqual([
      "first synthetic alert",
      "second synthetic alert",
    ]);
  });
});
