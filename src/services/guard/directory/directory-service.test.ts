/**
 * The directory proxy over real HTTP: a stand-in homeserver upstream, the guard's
 * directory listener in front of it (started as the guard starts it), fake lookup service.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listenOn } from "../../../http/listen.js";
import { FakeLookupClient, RecordingAlertSink } from "../../../../test/doubles/guard-fakes.js";
import { composeTestGuard, type TestGuard } from "../../../../test/support/guard-graph.js";
import type { GuardMetrics } from "../metrics/guard-metrics.js";
import { FakeHomeserver, roomEntry } from "../../../../test/doubles/fake-homeserver.js";
import { encodeSynapseToken } from "./synapse-token.js";
import { MAX_SEARCH_TERM_CHARS } from "./search-redirect.js";

const HELP = { en: "Synthetic help.", de: "Synthetische Hilfe." };
const LISTED = "!listed-0001:example.org";
const CLIENT = "/_matrix/client/v3/publicRooms";
const FEDERATION = "/_matrix/federation/v1/publicRooms";

/** A GET with node:http, which sends any header as given. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the directory proxy", () => {
  let upstream: FakeHomeserver;
  let lookup: FakeLookupClient;
  let alerts: RecordingAlertSink;
  let metrics: GuardMetrics;
  let proxy: TestGuard | undefined;

  /** The real graph (composeGuard) with a fake lookup service; the proxy listens for real. */
  async function start(directory: Record<string, unknown> = {}): Promise<string> {
    proxy = composeTestGuard(
      {
        homeserverUrl: upstream.url,
        terms: { terms: ["pineapple"], messages: HELP },
        guard: {
          directory: {
            trusted_servers: ["Trusted.example"],
            // Generous: a busy machine must not turn an ordinary answer into a 504.
            upstream_timeout: "10s",
            max_response_bytes: 65_536,
            refill_pages: 2,
            ...directory,
          },
        },
      },
      { lookup, alerts },
    );
    metrics = proxy.composed.metrics;
    return listenOn(proxy.composed.clientProxy!, "127.0.0.1:0");
  }

  const metric = async (line: string) => {
    const text = await metrics.registry.metrics();
    const found = text.split("\n").find((l) => l.startsWith(line));
    return found === undefined ? 0 : Number(found.split(" ").pop());
  };

  beforeEach(async () => {
    upstream = await FakeHomeserver.start();
    lookup = new FakeLookupClient().list(LISTED, "r1");
    alerts = new RecordingAlertSink();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await upstream.stop();
  });

  it("forwards method, path, query, end-to-end headers and body unchanged, and passes the answer through", async () => {
    const url = await start();
    upstream.answer = () => ({
      status: 404,
      headers: { "x-upstream": "yes", connection: "x-hop", "x-hop": "secret" },
      body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" },
    });
    // node:http, because fetch refuses to send a Connection header of its own.
    const res = await rawGet(`${url}/_matrix/client/r0/publicRooms?limit=5&x=%2B&x=%21`, {
      authorization: "Bearer synthetic-token",
      "x-forwarded-for": "203.0.113.9",
      connection: "x-private",
      "x-private": "drop me",
      "x-custom": "keep me",
    });
    expect(res.status).toBe(404);
    expect(res.headers["x-upstream"]).toBe("yes");
    expect(res.headers["x-hop"]).toBeUndefined();
    expect(JSON.parse(res.body)).toEqual({
      errcode: "M_UNRECOGNIZED",
      error: "Unrecognized request",
    });
    const seen = upstream.last!;
    expect(seen.method).toBe("GET");
    expect(seen.url).toBe("/_matrix/client/r0/publicRooms?limit=5&x=%2B&x=%21");
    expect(seen.headers["authorization"]).toBe("Bearer synthetic-token");
    expect(seen.headers["x-custom"]).toBe("keep me");
    expect(seen.headers["x-private"]).toBeUndefined();
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
  });

  it("forwards a signed federation request byte for byte and filters its chunk without refilling", async () => {
    const url = await start();
    upstream.answer = () => ({
      status: 200,
      body: {
        chunk: [
          roomEntry("!a-0001:example.org"),
          roomEntry(LISTED),
          roomEntry("!b-0001:example.org", { name: "PINEAPPLE" }),
        ],
        next_batch: "n1",
        total_room_count_estimate: 3,
      },
    });
    const body = '{"limit": 3,  "filter": {"room_types": [null]}}';
    const auth =
      'X-Matrix origin="remote.example",destination="hs.example",key="ed25519:a",sig="c2ln"';
    const res = await fetch(`${url}${FEDERATION}?x=1`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(200);
    // Synapse's token is not passed on: the guard's names the last room shown.
    expect(await res.json()).toEqual({
      chunk: [roomEntry("!a-0001:example.org")],
      next_batch: encodeSynapseToken({ members: 1, roomId: "!a-0001:example.org", forwards: true }),
      total_room_count_estimate: 3,
    });
    expect(upstream.received).toHaveLength(1); // signed: never re-asked with another `since`
    expect(upstream.last!.body.toString()).toBe(body);
    expect(upstream.last!.headers["authorization"]).toBe(auth);
    expect(upstream.last!.url).toBe(`${FEDERATION}?x=1`);
    expect(await metric('redlight_guard_directory_rooms_filtered_total{reason="listed"}')).toBe(1);
    expect(await metric('redlight_guard_directory_rooms_filtered_total{reason="room_terms"}')).toBe(
      1,
    );
  });

  it("answers a matching search itself, in the configured style and the searcher's language", async () => {
    const url = await start({ style: "msc4387" });
    const res = await fetch(`${url}${CLIENT}`, {
      method: "POST",
      headers: { "accept-language": "de-DE", "content-type": "application/json" },
      body: JSON.stringify({ filter: { generic_search_term: "P 1 N E A P P L E" } }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toMatchObject({
      errcode: "ORG.MATRIX.MSC4387_SAFETY",
      error: HELP.de,
      messages: HELP,
      "org.matrix.msc4176.messages": HELP,
      harms: ["m.child_safety.csam"],
      "org.matrix.msc4387.harms": ["m.child_safety.csam"],
      expiry: null,
    });
    expect(upstream.received).toHaveLength(0);
    const fed = await fetch(`${url}${FEDERATION}`, {
      method: "POST",
      body: JSON.stringify({ filter: { generic_search_term: "pineapple" } }),
    });
    expect(fed.status).toBe(400);
    expect(upstream.received).toHaveLength(0);
    expect(
      await metric(
        'redlight_guard_searches_redirected_total{list="fruit",harm="m.child_safety.csam",surface="directory"}',
      ),
    ).toBe(2);
  });

  it("refuses a search term over the length limit with 400 M_INVALID_PARAM, unmatched and unforwarded", async () => {
    const url = await start();
    const search = (term: string) =>
      fetch(`${url}${CLIENT}`, {
        method: "POST",
        body: JSON.stringify({ filter: { generic_search_term: term } }),
      });
    // Counted in code points: 256 emoji (512 UTF-16 units) are within the limit.
    const emoji = await search("🍍".repeat(MAX_SEARCH_TERM_CHARS));
    expect(emoji.status).toBe(200);
    expect(upstream.received).toHaveLength(1);
    for (const term of ["o".repeat(MAX_SEARCH_TERM_CHARS + 1), "l1l1l1 ".repeat(9_000)]) {
      const res = await search(term);
      expect(res.status).toBe(400);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(await res.json()).toEqual({
        errcode: "M_INVALID_PARAM",
        error: `The search term is longer than ${MAX_SEARCH_TERM_CHARS} characters.`,
      });
    }
    expect(upstream.received).toHaveLength(1);
    expect(
      await metric(
        'redlight_guard_directory_requests_total{api="client",outcome="search_too_long"}',
      ),
    ).toBe(2);
  });

  it("tops a short client page up from the following pages, keeping the tokens exact (and sealed)", async () => {
    const url = await start();
    upstream.answer = (req) => {
      const since = new URLSearchParams(req.url.split("?")[1]).get("since");
      const limit = Number(new URLSearchParams(req.url.split("?")[1]).get("limit"));
      if (since === null)
        return {
          status: 200,
          body: { chunk: [roomEntry(LISTED), roomEntry("!a-0001:example.org")], next_batch: "p2" },
        };
      if (since === "p2") {
        expect(limit).toBe(2);
        return {
          status: 200,
          body: {
            chunk: [roomEntry("!b-0001:example.org"), roomEntry("!c-0001:example.org")],
            next_batch: "p3",
            prev_batch: "x",
          },
        };
      }
      return { status: 200, body: { chunk: [] } };
    };
    const res = await fetch(`${url}${CLIENT}?limit=3`);
    const page = (await res.json()) as { chunk: { room_id: string }[]; next_batch?: string };
    expect(page.chunk.map((e) => e.room_id)).toEqual([
      "!a-0001:example.org",
      "!b-0001:example.org",
      "!c-0001:example.org",
    ]);
    expect(page.next_batch).toMatch(/^[A-Za-z0-9_-]{300,}$/); // sealed, not "p3"
    await fetch(`${url}${CLIENT}?limit=3&since=${page.next_batch}`);
    expect(upstream.received.map((r) => r.url)).toEqual([
      `${CLIENT}?limit=3`,
      `${CLIENT}?limit=2&since=p2`,
      `${CLIENT}?limit=3&since=p3`,
    ]);
  });

  it("replaces an untrusted remote server's error text, not a trusted one's", async () => {
    const url = await start();
    const evil = { errcode: "M_FORBIDDEN", error: "<script>alert(1)</script>", harms: ["m.spam"] };
    upstream.answer = () => ({ status: 403, body: evil });
    const replaced = await fetch(`${url}${CLIENT}?server=evil.example`, {
      headers: { "accept-language": "de" },
    });
    expect(replaced.status).toBe(403);
    const body = (await replaced.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ errcode: "M_FORBIDDEN", harms: ["m.spam"] });
    expect(JSON.stringify(body)).not.toContain("script");
    const trusted = await fetch(`${url}${CLIENT}?server=trusted.example`);
    expect(await trusted.json()).toEqual(evil);
    const local = await fetch(`${url}${CLIENT}`);
    expect(await local.json()).toEqual(evil);
    const missingToken = { errcode: "M_MISSING_TOKEN", error: "Missing access token" };
    upstream.answer = () => ({ status: 401, body: missingToken });
    expect(await (await fetch(`${url}${CLIENT}?server=evil.example`)).json()).toEqual(missingToken);
  });

  it("answers 502 when the homeserver is unreachable or too large, 504 when it is slow; never crashes", async () => {
    const url = await start({ upstream_timeout: "1s" });
    upstream.answer = () => ({ status: 200, body: { chunk: [], pad: "x".repeat(70_000) } });
    const large = await fetch(`${url}${CLIENT}`);
    expect(large.status).toBe(502);
    upstream.answer = () => ({ status: 200, body: { chunk: [] }, delayMs: 60_000 });
    const slow = await fetch(`${url}${CLIENT}`, { headers: { "accept-language": "de" } });
    expect(slow.status).toBe(504);
    expect(await slow.json()).toMatchObject({ errcode: "M_UNKNOWN" });
    await upstream.stop();
    const down = await fetch(`${url}${CLIENT}`, { method: "POST", body: "{}" });
    expect(down.status).toBe(502);
    expect(down.headers.get("access-control-allow-origin")).toBe("*");
    expect(await down.json()).toEqual({
      errcode: "M_UNKNOWN",
      error: "The room directory is not available right now. Please try again later.",
    });
    upstream = await FakeHomeserver.start(); // for afterEach
  });

  it("reports newly hidden rooms in aggregate: counts, list and report ids, no room ids, no terms", async () => {
    const url = await start();
    upstream.answer = () => ({
      status: 200,
      body: {
        chunk: [roomEntry(LISTED), roomEntry("!b-0001:example.org", { topic: "pineapple" })],
      },
    });
    await fetch(`${url}${CLIENT}`);
    await fetch(`${url}${CLIENT}`); // the same rooms again: not counted twice
    await proxy!.close();
    proxy = undefined;
    expect(alerts.posted).toHaveLength(1);
    const { plain } = alerts.posted[0]!.text;
    expect(plain).toBe(
      "Room directory: 2 rooms newly hidden in the last 10 min: 1 by name or topic (term list fruit 1); 1 listed (report r1 1). They stay hidden; review them with the Synapse admin API.",
    );
    expect(plain).not.toContain("pineapple");
    expect(plain).not.toContain("!");
  });

  it("hides rooms it cannot check, or shows them in fail mode show", async () => {
    lookup.down = "timeout";
    upstream.answer = () => ({ status: 200, body: { chunk: [roomEntry("!a-0001:example.org")] } });
    const url = await start();
    expect(((await (await fetch(`${url}${CLIENT}`)).json()) as { chunk: unknown[] }).chunk).toEqual(
      [],
    );
    await proxy!.close();
    const shown = await start({ fail_mode: "show" });
    expect(
      ((await (await fetch(`${shown}${CLIENT}`)).json()) as { chunk: unknown[] }).chunk,
    ).toHaveLength(1);
  });
});
