/**
 * The guard's operations listener in process: `/metrics` stays open, `POST /admin/unfreeze`
 * needs the operations token, a JSON body and a same-site (non-browser) caller, and the
 * alert names the token as the actor, never what the body says.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyedUserPseudonym } from "../../core/hash.js";
import type { UserId } from "../../core/ids.js";
import { createHttpServer } from "../../http/fastify.js";
import { FakeLookupClient, RecordingAlertSink } from "../../../test/doubles/guard-fakes.js";
import { FrozenAccounts } from "./gates/frozen-accounts.js";
import { createGuardMetrics } from "./metrics/guard-metrics.js";
import { registerOperationsRoutes, writeGuardError } from "./routes.js";
import { Unfreezer } from "./operations/unfreeze.js";

const TOKEN = "synthetic-operations-token-0001";
const USER = "@frozen-0001:example.org";
const pseudonym = (u: UserId) => keyedUserPseudonym("k".repeat(32), u);

describe("the guard's operations listener", () => {
  let app: FastifyInstance;
  let lookup: FakeLookupClient;
  let alerts: RecordingAlertSink;

  /** `null`: no operations token configured. */
  function start(token: string | null = TOKEN) {
    const unfreezer = new Unfreezer({
      lookup,
      frozen: new FrozenAccounts(60_000),
      pseudonym,
      suspender: undefined,
      alerts,
    });
    app = createHttpServer({ bodyLimit: 4096, writeError: writeGuardError });
    registerOperationsRoutes(app, createGuardMetrics().registry, unfreezer, token ?? undefined);
  }

  const unfreeze = (headers: Record<string, string>, body: unknown = { user_id: USER }) =>
    app.inject({
      method: "POST",
      url: "/admin/unfreeze",
      headers,
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });
  const authorised = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const stillFrozen = () => lookup.frozen.has(pseudonym(USER as UserId));

  beforeEach(() => {
    lookup = new FakeLookupClient();
    lookup.frozen.add(pseudonym(USER as UserId));
    alerts = new RecordingAlertSink();
  });
  afterEach(async () => app?.close());

  it("refuses an unfreeze without the operations token: 401 M_MISSING_TOKEN / M_UNKNOWN_TOKEN", async () => {
    start();
    const missing = await unfreeze({ "content-type": "application/json" });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ errcode: "M_MISSING_TOKEN" });
    for (const wrong of ["wrong", TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const r = await unfreeze({
        authorization: `Bearer ${wrong}`,
        "content-type": "application/json",
      });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
    }
    expect(stillFrozen()).toBe(true);
    expect(alerts.posted).toEqual([]);
  });

  it("refuses a cross-site unfreeze: text/plain with a foreign Origin, any Origin, a cross-site Sec-Fetch-Site", async () => {
    start();
    // What a web page can send without a preflight.
    const csrf = await unfreeze(
      { "content-type": "text/plain", origin: "https://attacker.example" },
      JSON.stringify({ user_id: USER }),
    );
    expect(csrf.statusCode).toBe(403);
    expect(csrf.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
    for (const extra of [
      { origin: "https://attacker.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ]) {
      const r = await unfreeze({ ...authorised, ...extra });
      expect(r.statusCode, JSON.stringify(extra)).toBe(403);
      expect(r.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
    }
    expect(stillFrozen()).toBe(true);
  });

  it("accepts only application/json bodies: 415 M_NOT_JSON otherwise", async () => {
    start();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
      const r = await unfreeze({ authorization: `Bearer ${TOKEN}`, "content-type": type });
      expect(r.statusCode, type).toBe(415);
      expect(r.json()).toMatchObject({ errcode: "M_NOT_JSON" });
    }
    const none = await unfreeze({ authorization: `Bearer ${TOKEN}` });
    expect(none.statusCode).toBe(415);
    expect(stillFrozen()).toBe(true);
  });

  it("unfreezes with the token and names the operations token as the actor, whatever the body says", async () => {
    start();
    const r = await unfreeze(
      {
        ...authorised,
        "content-type": "application/json; charset=utf-8",
        "sec-fetch-site": "none",
      },
      { user_id: USER, actor: "@innocent-moderator:example.org" },
    );
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ unfrozen: true });
    expect(stillFrozen()).toBe(false);
    expect(alerts.posted).toHaveLength(1);
    expect(alerts.posted[0]?.text.plain).toContain("by the operations token.");
    expect(alerts.posted[0]?.text.plain).not.toContain("innocent-moderator");
  });

  it("is off without guard.operations_token_file, and /metrics stays open", async () => {
    start(null);
    const r = await unfreeze({ ...authorised });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
    expect(r.json().error).toContain("guard.operations_token_file");
    expect(stillFrozen()).toBe(true);
    const metrics = await app.inject({ method: "GET", url: "/metrics" });
    expect(metrics.statusCode).toBe(200);
  });
});
