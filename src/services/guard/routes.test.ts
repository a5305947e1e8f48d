import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  FakeFacts,
  FakeLookupClient,
  RecordingAlertSink,
} from "../../../test/doubles/guard-fakes.js";
import {
  ANTISPAM_SECRET as SECRET,
  composeTestGuard,
  type TestGuard,
} from "../../../test/support/guard-graph.js";
import { MSC4176_MESSAGES } from "./gates/messages.js";
import { secretMatches } from "./routes.js";

const LISTED = "!synthetic-0001:example.org";

describe("guard callback routes", () => {
  let app: FastifyInstance;
  let guard: TestGuard | undefined;
  let lookup: FakeLookupClient;
  let alerts: RecordingAlertSink;

  /** The real graph (composeGuard) with a fake lookup service, facts and alert sink. */
  async function start(extra: Record<string, unknown> = {}) {
    guard = composeTestGuard({ guard: extra }, { lookup, roomFacts: new FakeFacts(), alerts });
    app = guard.composed.api;
    await app.ready();
  }

  const post = (callback: string, payload: unknown, secret: string | null = SECRET) =>
    app.inject({
      method: "POST",
      url: `/_redlight/antispam/${callback}`,
      headers: {
        "content-type": "application/json",
        ...(secret === null ? {} : { authorization: `Bearer ${secret}` }),
      },
      payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    });
  const join = (room: string) => ({ user: "@alice:example.org", room, is_invited: false });

  beforeEach(() => {
    lookup = new FakeLookupClient().list(LISTED);
    alerts = new RecordingAlertSink();
  });
  afterEach(async () => {
    await guard?.close();
    guard = undefined;
  });

  it("compares the secret in constant time over digests", () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    expect(secretMatches("short", SECRET)).toBe(false);
    expect(secretMatches(undefined, SECRET)).toBe(false);
  });

  it("answers a missing or wrong secret with a non-JSON 401, before reading the body", async () => {
    await start();
    for (const secret of [null, "wrong"]) {
      const res = await post("user_may_join_room", join(LISTED), secret);
      expect(res.statusCode).toBe(401);
      expect(res.headers["content-type"]).toMatch(/^text\/plain/);
      expect(() => JSON.parse(res.body) as unknown).toThrow();
    }
    expect(lookup.lookups).toEqual([]);
  });

  it("asks for the secret on every path that reaches a callback, percent-encoded ones too", async () => {
    await start();
    for (const url of [
      "/_redlight/antispa%6D/user_may_join_room",
      "/%5Fredlight/antispam/user_may_join_room",
      "/_redlight/antispam/%75ser_may_join_room",
    ]) {
      const res = await app.inject({
        method: "POST",
        url,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify(join(LISTED)),
      });
      expect([url, res.statusCode, res.headers["content-type"]]).toEqual([
        url,
        401,
        expect.stringMatching(/^text\/plain/),
      ]);
    }
    expect(lookup.lookups).toEqual([]);
  });

  it("reads the body as JSON whatever the Content-Type says", async () => {
    await start({ fail_mode: { user_may_join_room: "open" } });
    for (const type of ["", ";;", "text/plain", "application/json; charset=", "multipart/x"]) {
      const res = await app.inject({
        method: "POST",
        url: "/_redlight/antispam/user_may_join_room",
        headers: { authorization: `Bearer ${SECRET}`, "content-type": type },
        payload: JSON.stringify(join(LISTED)),
      });
      expect([type, res.statusCode]).toEqual([type, 403]); // decided, not the open fail mode
    }
  });

  it("allows with 200 {} and refuses with 403 {errcode, error, translations} revealing nothing", async () => {
    await start({ messages: { join_refused: { en: "No entry.", de: "Kein Zutritt." } } });
    const allowed = await post("user_may_join_room", join("!clean-1:example.org"));
    expect([allowed.statusCode, allowed.json()]).toEqual([200, {}]);
    const refused = await post("user_may_join_room", join(LISTED));
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      errcode: "M_FORBIDDEN",
      error: "No entry.",
      [MSC4176_MESSAGES]: { en: "No entry.", de: "Kein Zutritt." },
    });
    expect(refused.body).not.toMatch(/report|csam|synthetic/);
    expect(alerts.posted.map((a) => a.kind)).toEqual(["join_refused"]);
  });

  it("echoes ping and allows unknown callbacks", async () => {
    await start();
    expect((await post("ping", { id: "abcdEFGH" })).json()).toEqual({
      id: "abcdEFGH",
      status: "ok",
    });
    const unknown = await post("check_event_for_spam", { event: {} });
    expect([unknown.statusCode, unknown.json()]).toEqual([200, {}]);
  });

  it("answers bodies it cannot decode by the callback's fail mode", async () => {
    await start({ fail_mode: { user_may_join_room: "closed", user_may_invite: "open" } });
    for (const body of ["not json", "[1]", { user: "alice", room: LISTED }]) {
      const res = await post("user_may_join_room", body);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        errcode: "M_FORBIDDEN",
        error: expect.stringContaining("temporarily unavailable"),
      });
    }
    const invite = await post("user_may_invite", { inviter: 7 });
    expect([invite.statusCode, invite.json()]).toEqual([200, {}]);
  });

  it("answers an oversized body by the fail mode too, and other paths with JSON errors", async () => {
    await start({ fail_mode: { user_may_join_room: "closed" } });
    const big = await post("user_may_join_room", {
      user: "@a:example.org",
      room: LISTED,
      pad: "x".repeat(2048),
    });
    expect(big.statusCode).toBe(403);
    const openInvite = await post("user_may_invite", { pad: "x".repeat(2048) });
    expect([openInvite.statusCode, openInvite.json()]).toEqual([200, {}]);
    const get = await app.inject({
      method: "GET",
      url: "/_redlight/antispam/ping",
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(get.statusCode).toBe(405);
    expect((await app.inject({ method: "GET", url: "/nowhere" })).json()).toMatchObject({
      errcode: "M_UNRECOGNIZED",
    });
  });

  it("refuses publishing a listed room with the publish text, alerts, and fails closed by default", async () => {
    await start({ messages: { publish_refused: { en: "Not in the directory." } } });
    const publish = (room: string) =>
      post("user_may_publish_room", { user_id: "@o:example.org", room_id: room });
    const refused = await publish(LISTED);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      errcode: "M_FORBIDDEN",
      error: "Not in the directory.",
    });
    expect(alerts.posted.map((a) => a.kind)).toEqual(["publish_refused"]);
    expect(alerts.posted[0]?.text.plain).toBe(
      "Publication refused: @o:example.org tried to publish a listed room in the room directory (report report-1; tags csam).",
    );
    expect([(await publish("!clean-3:example.org")).statusCode]).toEqual([200]);
    lookup.down = "timeout";
    expect((await publish("!clean-4:example.org")).statusCode).toBe(403);
    expect((await post("user_may_publish_room", { user_id: 1 })).statusCode).toBe(403);
  });

  it("uses M_LIMIT_EXCEEDED with retry_after_ms when the lookup service rate-limits", async () => {
    await start();
    // The client's quota: the batch check and the lookup both answer 429.
    lookup.checkRateLimitedMs = 2500;
    lookup.rateLimitedMs = 2500;
    const res = await post("user_may_join_room", join("!clean-2:example.org"));
    expect(res.json()).toMatchObject({ errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 2500 });
  });

  it("serves /health and /ready", async () => {
    await start();
    expect((await app.inject({ method: "GET", url: "/health" })).json()).toEqual({ status: "ok" });
    expect((await app.inject({ method: "GET", url: "/ready" })).json()).toEqual({
      lookup_reachable: true,
    });
  });
});
