/**
 * The client-API proxy's knock and room report paths on the real graph (composeGuard):
 * `inject` into the proxy's app, a stand-in homeserver over real HTTP answering with
 * Synapse's wire formats (whoami, alias directory, knock, report, and its errors), a
 * fake lookup service. Synthetic ids only.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pino } from "pino";
import { FakeLookupClient, RecordingAlertSink } from "../../../../test/doubles/guard-fakes.js";
import {
  FakeHomeserver,
  type CannedAnswer,
  type ReceivedRequest,
} from "../../../../test/doubles/fake-homeserver.js";
import { composeTestGuard, type TestGuard } from "../../../../test/support/guard-graph.js";
import { callUpstream } from "../directory/upstream.js";
import type { Homeserver } from "./homeserver.js";
import { Identities } from "./identities.js";
import { RoomReports, type RoomReport } from "./room-reports.js";

const CLEAN = "!clean-0001:example.org";
const LISTED = [
  "!synthetic-0001:example.org",
  "!synthetic-0002:example.org",
  "!synthetic-0003:example.org",
];
const TOKENS: Record<string, string> = {
  "Bearer tok-alice": "@alice:example.org",
  "Bearer tok-bob": "@bob:example.org",
};
const ALIASES: Record<string, string> = {
  "#quokkaberry:example.org": CLEAN,
  "#listed:example.org": LISTED[0]!,
};
const REFUSED = "Synthetic: this room is not available from here.";
const RESTRICTED = "Synthetic: your account is restricted.";

/** Synapse's answers (synapse/api/auth, rest/client/directory.py, knock.py, reporting.py). */
function synapse(request: ReceivedRequest): CannedAnswer {
  const path = request.url.split("?")[0] ?? "";
  if (path === "/_matrix/client/v3/account/whoami") {
    const auth = request.headers.authorization;
    const query = new URLSearchParams(request.url.split("?")[1] ?? "");
    const given =
      auth ?? (query.has("access_token") ? `Bearer ${query.get("access_token")}` : undefined);
    if (given === undefined)
      return { status: 401, body: { errcode: "M_MISSING_TOKEN", error: "Missing access token" } };
    const user = TOKENS[given];
    if (user === undefined)
      return {
        status: 401,
        body: {
          errcode: "M_UNKNOWN_TOKEN",
          error: "Invalid access token passed.",
          soft_logout: false,
        },
      };
    return { status: 200, body: { user_id: user, device_id: "SYNTHDEV", is_guest: false } };
  }
  const alias = /^\/_matrix\/client\/v3\/directory\/room\/(.+)$/.exec(path);
  if (alias !== null) {
    const name = decodeURIComponent(alias[1]!);
    const room = ALIASES[name];
    if (room === undefined)
      return {
        status: 404,
        body: { errcode: "M_NOT_FOUND", error: `Room alias ${name} not found` },
      };
    return { status: 200, body: { room_id: room, servers: ["example.org", "other.example"] } };
  }
  const knock = /\/knock\/([^/]+)$/.exec(path);
  if (knock !== null && request.method === "POST")
    return { status: 200, body: { room_id: decodeURIComponent(knock[1]!) } };
  if (/\/rooms\/[^/]+\/report$/.test(path) && request.method === "POST") {
    const body = JSON.parse(request.body.toString("utf8") || "null") as { reason?: unknown } | null;
    if (typeof body?.reason !== "string")
      return { status: 400, body: { errcode: "M_BAD_JSON", error: "Invalid JSON body" } };
    return { status: 200, body: {} };
  }
  return { status: 404, body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" } };
}

describe("the client-API proxy: knocks", () => {
  let hs: FakeHomeserver;
  let lookup: FakeLookupClient;
  let alerts: RecordingAlertSink;
  let guard: TestGuard | undefined;

  beforeEach(async () => {
    hs = await FakeHomeserver.start();
    hs.answer = synapse;
    lookup = new FakeLookupClient();
    LISTED.forEach((room, i) => lookup.list(room, `report-${i + 1}`));
    alerts = new RecordingAlertSink();
  });
  afterEach(async () => {
    await guard?.close();
    guard = undefined;
    await hs.stop();
  });

  function start(guardKeys: Record<string, unknown> = {}) {
    guard = composeTestGuard(
      {
        homeserverUrl: hs.url,
        guard: {
          client_proxy: {},
          messages: { join_refused: { en: REFUSED }, account_restricted: { en: RESTRICTED } },
          ...guardKeys,
        },
      },
      { lookup, alerts },
    );
    return guard.composed.clientProxy!;
  }

  const knock = (
    target: string,
    options: { token?: string; body?: string; query?: string; prefix?: string } = {},
  ) => ({
    method: "POST" as const,
    url: `${options.prefix ?? "/_matrix/client/v3"}/knock/${encodeURIComponent(target)}${options.query ?? ""}`,
    headers: {
      "content-type": "application/json",
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    payload: options.body ?? JSON.stringify({ reason: "Synthetic: may I come in?" }),
  });
  const knocksReceived = () => hs.received.filter((r) => r.url.includes("/knock/"));
  const whoamis = () =>
    hs.received.filter((r) => r.url.startsWith("/_matrix/client/v3/account/whoami"));

  it("forwards a knock on a clean room unchanged and relays Synapse's answer", async () => {
    const app = start();
    const body = JSON.stringify({ reason: "Synthetic: quokkaberry fan" });
    const res = await app.inject(
      knock(CLEAN, { token: "tok-alice", body, query: "?via=example.org&server_name=x.example" }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ room_id: CLEAN });
    const [sent] = knocksReceived();
    expect(sent?.method).toBe("POST");
    expect(sent?.url).toBe(
      `/_matrix/client/v3/knock/${encodeURIComponent(CLEAN)}?via=example.org&server_name=x.example`,
    );
    expect(sent?.headers.authorization).toBe("Bearer tok-alice");
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.body.toString("utf8")).toBe(body);
    expect(lookup.checks.flat()).toContain(CLEAN);
    expect(
      await guard!.composed.metrics.registry.getSingleMetricAsString("redlight_guard_knocks_total"),
    ).toContain('outcome="forwarded"} 1');
  });

  it("serves every prefix Synapse knocks on, and MSC2403's unstable one", async () => {
    const app = start();
    for (const prefix of [
      "/_matrix/client/r0",
      "/_matrix/client/unstable",
      "/_matrix/client/unstable/xyz.amorgan.knock",
    ]) {
      const res = await app.inject(knock(LISTED[0]!, { token: "tok-alice", prefix }));
      expect(res.statusCode, prefix).toBe(403);
    }
    expect(knocksReceived()).toEqual([]);
  });

  it("refuses a knock on a listed room like a join: 403 join_refused, counted, alerted, never forwarded", async () => {
    const app = start();
    const res = await app.inject(knock(LISTED[0]!, { token: "tok-alice" }));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ errcode: "M_FORBIDDEN", error: REFUSED });
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(knocksReceived()).toEqual([]);
    expect(lookup.lookups.map((l) => l.room)).toEqual([LISTED[0]]);
    expect(alerts.posted.map((a) => a.kind)).toContain("join_refused");
    expect(alerts.posted.map((a) => a.text.plain).join("\n")).toContain("@alice:example.org");
  });

  it("decodes the room id as Synapse does: a listed id holding a '/' (%2F) is refused", async () => {
    const slashed = "!synthetic/0004:example.org";
    lookup.list(slashed, "report-4");
    const app = start();
    const res = await app.inject(knock(slashed, { token: "tok-alice" }));
    expect(res.statusCode).toBe(403);
    expect(lookup.lookups.map((l) => l.room)).toEqual([slashed]);
    expect(knocksReceived()).toEqual([]);
  });

  it("freezes after three listed knocks; a frozen account's knock on a clean room is refused", async () => {
    const app = start();
    for (const room of LISTED) {
      const res = await app.inject(knock(room, { token: "tok-bob" }));
      expect(res.statusCode).toBe(403);
    }
    expect(alerts.posted.map((a) => a.kind)).toContain("account_frozen");
    const after = await app.inject(knock(CLEAN, { token: "tok-bob" }));
    expect(after.statusCode).toBe(403);
    expect(after.json()).toMatchObject({ errcode: "M_FORBIDDEN", error: RESTRICTED });
    expect(knocksReceived()).toEqual([]);
    // Another user is not affected.
    expect((await app.inject(knock(CLEAN, { token: "tok-alice" }))).statusCode).toBe(200);
  });

  it("resolves an alias through the homeserver and forwards the knock to the room it decided", async () => {
    const app = start();
    const res = await app.inject(
      knock("#quokkaberry:example.org", { token: "tok-alice", query: "?via=evil.example" }),
    );
    expect(res.statusCode).toBe(200);
    expect(knocksReceived().map((r) => r.url)).toEqual([
      `/_matrix/client/v3/knock/${encodeURIComponent(CLEAN)}?via=example.org&via=other.example`,
    ]);
    const listed = await app.inject(knock("#listed:example.org", { token: "tok-alice" }));
    expect(listed.statusCode).toBe(403);
    expect(lookup.lookups.map((l) => l.room)).toEqual([LISTED[0]]);
    const unknown = await app.inject(knock("#nowhere:example.org", { token: "tok-alice" }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      errcode: "M_NOT_FOUND",
      error: "Room alias #nowhere:example.org not found",
    });
    expect(knocksReceived()).toHaveLength(1);
  });

  it("answers bad requests as Synapse would, and forwards nothing", async () => {
    const app = start();
    const missing = await app.inject(knock(CLEAN));
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ errcode: "M_MISSING_TOKEN" });
    const unknown = await app.inject(knock(CLEAN, { token: "tok-nobody" }));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: false });
    const notJson = await app.inject(knock(CLEAN, { token: "tok-alice", body: "{not json" }));
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toEqual({ errcode: "M_NOT_JSON", error: "Content not JSON." });
    const empty = await app.inject(knock(CLEAN, { token: "tok-alice", body: "" }));
    expect(empty.json()).toMatchObject({ errcode: "M_NOT_JSON" });
    const array = await app.inject(knock(CLEAN, { token: "tok-alice", body: "[]" }));
    expect(array.statusCode).toBe(400);
    expect(array.json()).toEqual({
      errcode: "M_BAD_JSON",
      error: "Content must be a JSON object.",
    });
    const garbage = await app.inject(knock("quokkaberry", { token: "tok-alice" }));
    expect(garbage.statusCode).toBe(400);
    const huge = await app.inject(
      knock(CLEAN, { token: "tok-alice", body: JSON.stringify({ reason: "q".repeat(70_000) }) }),
    );
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ errcode: "M_TOO_LARGE" });
    expect(knocksReceived()).toEqual([]);
    expect(lookup.lookups).toEqual([]);
  });

  it("asks whoami once per token while cached; the query token and an appservice's user_id are passed on", async () => {
    const app = start();
    await app.inject(knock(CLEAN, { token: "tok-alice" }));
    await app.inject(knock(CLEAN, { token: "tok-alice" }));
    expect(whoamis()).toHaveLength(1);
    await app.inject(knock(CLEAN, { token: "tok-bob" }));
    expect(whoamis()).toHaveLength(2);
    const byQuery = await app.inject({
      ...knock(CLEAN, { query: "?access_token=tok-alice&user_id=%40alice%3Aexample.org" }),
    });
    expect(byQuery.statusCode).toBe(200);
    expect(whoamis().at(-1)?.url).toBe(
      "/_matrix/client/v3/account/whoami?access_token=tok-alice&user_id=%40alice%3Aexample.org",
    );
  });

  it("applies user_may_join_room's fail mode when the lookup service is down", async () => {
    lookup.down = "unreachable";
    const closed = start({ fail_mode: { user_may_join_room: "closed" } });
    expect((await closed.inject(knock(CLEAN, { token: "tok-alice" }))).statusCode).toBe(403);
    expect(knocksReceived()).toEqual([]);
    await guard!.close();
    const open = start({ fail_mode: { user_may_join_room: "open" } });
    expect((await open.inject(knock(CLEAN, { token: "tok-alice" }))).statusCode).toBe(200);
    expect(knocksReceived()).toHaveLength(1);
  });

  it("beside the room directory: publicRooms served, a knock's Content-Type forwarded as received", async () => {
    const app = start({ directory: {} });
    const type = "application/json; charset=utf-8";
    const res = await app.inject({
      ...knock(CLEAN, { token: "tok-alice" }),
      headers: { authorization: "Bearer tok-alice", "content-type": type },
    });
    expect(res.statusCode).toBe(200);
    expect(knocksReceived()[0]?.headers["content-type"]).toBe(type);
    hs.answer = (request) =>
      request.url.includes("/publicRooms")
        ? { status: 200, body: { chunk: [] } }
        : synapse(request);
    const page = await app.inject({ method: "GET", url: "/_matrix/client/v3/publicRooms" });
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ chunk: [] });
  });

  it("answers any knock request with a Matrix answer, never a 5xx of its own (fuzzed)", async () => {
    const app = start();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("POST", "PUT", "GET", "OPTIONS", "DELETE"),
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom(CLEAN, LISTED[0]!, "#quokkaberry:example.org", "!", "#", "!:"),
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }).map((x) => Buffer.from(x)),
          fc.json().map((j) => Buffer.from(j)),
        ),
        fc.constantFrom(
          undefined,
          "",
          "application/json",
          "text/plain",
          "multipart/form-data; boundary=x",
        ),
        fc.constantFrom(undefined, "Bearer tok-alice", "Bearer tok-nobody", "Basic Zm9vOmJhcg=="),
        async (method, target, body, type, authorization) => {
          const res = await app.inject({
            method,
            url: `/_matrix/client/v3/knock/${encodeURIComponent(target)}`,
            headers: {
              ...(type === undefined ? {} : { "content-type": type }),
              ...(authorization === undefined ? {} : { authorization }),
            },
            payload: body,
          });
          expect(res.statusCode).toBeLessThan(500);
          expect(res.json()).toEqual(expect.any(Object));
          if (res.statusCode >= 400) expect(res.json()).toHaveProperty("errcode");
        },
      ),
      { numRuns: 150 },
    );
    // A listed room's knock never reached the homeserver.
    expect(
      knocksReceived().filter(
        (r) => r.method === "POST" && r.url.includes(encodeURIComponent(LISTED[0]!)),
      ),
    ).toEqual([]);
  });

  it("forwards other methods (CORS pre-flight) without a decision", async () => {
    const app = start();
    const res = await app.inject({
      method: "OPTIONS",
      url: `/_matrix/client/v3/knock/${encodeURIComponent(LISTED[0]!)}`,
    });
    expect(res.statusCode).toBe(404); // the stand-in's answer, relayed
    expect(whoamis()).toEqual([]);
    expect(lookup.lookups).toEqual([]);
  });

  it("forwards a room report unchanged and relays Synapse's answer", async () => {
    const app = start();
    const url = `/_matrix/client/v3/rooms/${encodeURIComponent(LISTED[1]!)}/report`;
    const body = JSON.stringify({ reason: "Synthetic report" });
    const res = await app.inject({
      method: "POST",
      url,
      headers: { authorization: "Bearer tok-alice" },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    const sent = hs.received.find((r) => r.url === url);
    expect(sent?.body.toString("utf8")).toBe(body);
    expect(sent?.headers.authorization).toBe("Bearer tok-alice");
    const bad = await app.inject({
      method: "POST",
      url,
      headers: { authorization: "Bearer tok-alice" },
      payload: "{}",
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe("room report copies", () => {
  let hs: FakeHomeserver;
  beforeEach(async () => {
    hs = await FakeHomeserver.start();
    hs.answer = synapse;
  });
  afterEach(() => hs.stop());

  const homeserver =
    (): Homeserver =>
    ({ path, signal: _signal, ...request }) =>
      callUpstream({ ...request, url: `${hs.url}${path}` }, { timeoutMs: 5_000, maxBytes: 65_536 });

  it("hands an accepted report to the port, and a refused one to nobody", async () => {
    const copies: RoomReport[] = [];
    let copiesStarted = 0;
    const identities = new Identities({
      homeserver: homeserver(),
      ttlMs: 60_000,
      maxEntries: 10,
      now: () => 1_000,
    });
    const reports = new RoomReports({
      homeserver: homeserver(),
      identities,
      onRoomReport: (report) => copies.push(report),
      now: () => 42,
      runInBackground: (_name, fn) => {
        copiesStarted += 1;
        void fn();
      },
      logger: pino({ level: "silent" }),
    });
    const request = (payload: string, token = "tok-alice") => ({
      method: "POST",
      rawUrl: `/_matrix/client/v3/rooms/${encodeURIComponent(LISTED[2]!)}/report`,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: Buffer.from(payload),
      peer: "127.0.0.1",
      roomId: LISTED[2]!,
    });
    expect(
      (await reports.handle(request(JSON.stringify({ reason: "Synthetic spam" })))).status,
    ).toBe(200);
    await vi.waitFor(() => expect(copies).toHaveLength(1), { timeout: 30_000 });
    expect(copies).toEqual([
      {
        reporter: "@alice:example.org",
        roomId: LISTED[2],
        reason: "Synthetic spam",
        receivedAt: 42,
      },
    ]);
    expect((await reports.handle(request("{}"))).status).toBe(400);
    expect(copiesStarted).toBe(1);
    expect(copies).toHaveLength(1);
    expect(hs.received.filter((r) => r.url.includes("/report"))).toHaveLength(2);
  });
});

describe("identities", () => {
  it("caches a user for the ttl, never a refusal, and keeps at most maxEntries", async () => {
    let clock = 0;
    const calls: string[] = [];
    const homeserver: Homeserver = async (request) => {
      calls.push(request.headers["authorization"] ?? "");
      const user = TOKENS[request.headers["authorization"] ?? ""];
      const body =
        user === undefined
          ? { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." }
          : { user_id: user };
      return {
        ok: true,
        value: {
          status: user === undefined ? 401 : 200,
          headers: [],
          body: Buffer.from(JSON.stringify(body)),
        },
      };
    };
    const identities = new Identities({
      homeserver,
      ttlMs: 1_000,
      maxEntries: 1,
      now: () => clock,
    });
    const as = (token: string) => ({
      method: "POST",
      rawUrl: "/x",
      headers: { authorization: `Bearer ${token}` },
      body: undefined,
      peer: undefined,
    });
    expect(await identities.identify(as("tok-alice"))).toEqual({
      kind: "user",
      user: "@alice:example.org",
    });
    await identities.identify(as("tok-alice"));
    expect(calls).toHaveLength(1);
    clock = 1_001;
    await identities.identify(as("tok-alice"));
    expect(calls).toHaveLength(2);
    expect((await identities.identify(as("tok-nobody"))).kind).toBe("refused");
    expect((await identities.identify(as("tok-nobody"))).kind).toBe("refused");
    expect(calls).toHaveLength(4);
    await identities.identify(as("tok-bob"));
    expect(identities.size).toBe(1);
  });
});
