/**
 * The LJS-4 Abuse Lookup API over real HTTP against an in-process lookup service (SQLite):
 * answers, authentication, the error table of the LJS-4 API (docs/api.md), tags, batch check, health.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import {
  cleanRoom,
  listedRoom,
  readLog,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";

const LOOKUP = "/_matrix/loj/v1/abuse_lookup";
let fx: LookupFixture;
let token: string;

beforeAll(async () => {
  fx = await startLookupFixture({
    rooms: 20,
    clients: [
      { name: "hs1", scopes: ["directory"] },
      { name: "narrow", tags: ["spam"] },
      { name: "fenced", allowIps: ["192.0.2.0/24"] },
    ],
  });
  token = fx.tokens.hs1 as string;
});
afterAll(async () => {
  await fx.stop();
});

const put = (
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${token}` },
) =>
  fx.request(LOOKUP, {
    method: "PUT",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const hashes = (room: string, user = "@alice:example.org") => ({
  room_id_hash: ljs4Hash(room),
  user_id_hash: ljs4Hash(user),
});

describe("abuse_lookup answers", () => {
  it("answers 200 with the report id and matched tags for a listed room", async () => {
    const r = await fx.lookup(token, listedRoom(1), "@u1:example.org");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ error: null, report_id: "report-1", tags: ["csam"] });
  });

  it("answers 204 with an empty body for an unlisted room", async () => {
    const r = await fx.lookup(token, cleanRoom(1), "@u2:example.org");
    expect(r.status).toBe(204);
    expect(await r.text()).toBe("");
  });

  it("accepts the token in the body (the spec's example and the prototype)", async () => {
    const r = await put({ ...hashes(listedRoom(2), "@u3:example.org"), api_token: token }, {});
    expect(r.status).toBe(200);
  });

  it("accepts header and body tokens together only when they are equal", async () => {
    expect((await put({ ...hashes(cleanRoom(2)), api_token: token })).status).toBe(204);
    const r = await put({ ...hashes(cleanRoom(2)), api_token: "x".repeat(40) });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({
      error: { errcode: "M_UNKNOWN_TOKEN" },
      report_id: null,
    });
  });

  it("matches only the client's effective tags", async () => {
    const narrow = fx.tokens.narrow as string;
    expect((await fx.lookup(narrow, listedRoom(1), "@n:example.org")).status).toBe(204);
    const r = await fx.lookup(narrow, listedRoom(21), "@n:example.org");
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ report_id: "report-spam", tags: ["spam"] });
  });
});

describe("abuse_lookup errors", () => {
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ["not JSON", () => put("{not json"), 400, "M_NOT_JSON"],
    ["empty body", () => put(""), 400, "M_NOT_JSON"],
    ["a JSON array", () => put([1, 2]), 400, "M_BAD_JSON"],
    ["a missing room hash", () => put({ user_id_hash: ljs4Hash("@a:b.c") }), 400, "M_BAD_JSON"],
    [
      "an upper-case hash",
      () => put({ ...hashes(cleanRoom(3)), room_id_hash: ljs4Hash(cleanRoom(3)).toUpperCase() }),
      400,
      "M_BAD_JSON",
    ],
    ["a numeric hash", () => put({ ...hashes(cleanRoom(3)), user_id_hash: 12 }), 400, "M_BAD_JSON"],
    [
      "a non-string body token",
      () => put({ ...hashes(cleanRoom(3)), api_token: 5 }, {}),
      400,
      "M_BAD_JSON",
    ],
    [
      "a body over 4 KiB",
      () => put({ ...hashes(cleanRoom(3)), pad: "x".repeat(5000) }),
      413,
      "M_TOO_LARGE",
    ],
    ["no token", () => put(hashes(cleanRoom(3)), {}), 401, "M_MISSING_TOKEN"],
    [
      "a bad token",
      () => put(hashes(cleanRoom(3)), { authorization: `Bearer ${"A".repeat(40)}` }),
      401,
      "M_UNKNOWN_TOKEN",
    ],
    [
      "a disallowed address",
      () => put(hashes(cleanRoom(3)), { authorization: `Bearer ${fx.tokens.fenced}` }),
      403,
      "M_FORBIDDEN",
    ],
    [
      "the wrong method",
      () => fx.request(LOOKUP, { method: "POST", body: "{}" }),
      405,
      "M_UNRECOGNIZED",
    ],
    ["an unknown path", () => fx.request("/_matrix/loj/v1/nothing"), 404, "M_UNRECOGNIZED"],
  ];

  it.each(cases)(
    "answers %s with the right status and errcode",
    async (_name, send, status, errcode) => {
      const r = await send();
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toMatch(/application\/json/);
      const body = (await r.json()) as {
        error: { errcode: string; error: string };
        report_id: null;
      };
      expect(body.error.errcode).toBe(errcode);
      expect(typeof body.error.error).toBe("string");
      expect(body.report_id).toBeNull();
    },
  );
});

describe("batch check (directory scope)", () => {
  const CHECK = "/_matrix/loj/v1/check";
  const check = (t: string, room_id_hashes: unknown) =>
    fx.request(CHECK, {
      method: "POST",
      headers: { authorization: `Bearer ${t}` },
      body: JSON.stringify({ room_id_hashes }),
    });

  it("answers which rooms are listed without counting toward a freeze", async () => {
    const asked = [listedRoom(3), cleanRoom(4), listedRoom(4), listedRoom(5), listedRoom(6)].map(
      ljs4Hash,
    );
    for (let i = 0; i < 2; i++) {
      const r = await check(token, asked);
      expect(r.status).toBe(200);
      const body = (await r.json()) as { listed: Record<string, { report_id: string }> };
      expect(Object.keys(body.listed).sort()).toEqual(
        [asked[0], asked[2], asked[3], asked[4]].sort(),
      );
      expect(body.listed[ljs4Hash(listedRoom(3))]).toEqual({
        report_id: "report-3",
        tags: ["csam"],
      });
    }
    const freezes = (
      await fx.request(LOOKUP, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(hashes(cleanRoom(5), "@checker:example.org")),
      })
    ).status;
    expect(freezes).toBe(204);
  });

  it("refuses clients without the scope, and malformed batches", async () => {
    expect((await check(fx.tokens.narrow as string, [ljs4Hash(cleanRoom(1))])).status).toBe(403);
    expect((await check(token, [])).status).toBe(400);
    expect((await check(token, Array(101).fill(ljs4Hash(cleanRoom(1))))).status).toBe(400);
    expect((await check(token, ["nope"])).status).toBe(400);
  });
});

describe("operations", () => {
  it("reports health, readiness and metrics", async () => {
    expect(await (await fx.request("/health")).json()).toEqual({ status: "ok" });
    expect(await (await fx.request("/ready")).json()).toEqual({
      list_loaded: true,
      database_reachable: true,
    });
    const metrics = await (await fetch(`${fx.handle.operationsUrl}/metrics`)).text();
    expect(metrics).toMatch(/redlight_lookups_total\{outcome="match"\} [1-9]/);
    expect(metrics).toMatch(/redlight_list_entries 21/);
  });

  it("never logs tokens, room ids or list hashes", async () => {
    await fx.lookup(token, listedRoom(7), "@logcheck:example.org");
    const log = readLog(fx);
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [token, listedRoom(7), ljs4Hash(listedRoom(7)), ljs4Hash(listedRoom(1))]) {
      expect(log).not.toContain(secret);
    }
  });
});
