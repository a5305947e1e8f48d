/**
 * The batch check (`directory` scope) is accountable, over real HTTP against an in-process
 * lookup service on SQLite: every batch moves metrics, writes a log line and an audit row
 * with counts only (never a hash), spends its own directory quota and the client quota,
 * and a pattern that looks like enumeration raises a metric and a warning. The guard's
 * lookup client reads the directory quota's 429 as "rate limited".
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import type { RoomId } from "../src/core/ids.js";
import { StandardLookupClient } from "../src/services/guard/lookup/lookup-client.js";
import { openStorage } from "../src/storage/open.js";
import {
  cleanRoom,
  listedRoom,
  readLog,
  startLookupFixture,
  type FixtureOptions,
  type LookupFixture,
} from "./support/lookup-fixture.js";

const CHECK = "/_matrix/loj/v1/check";
let fx: LookupFixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

async function start(options: FixtureOptions = {}): Promise<LookupFixture> {
  fx = await startLookupFixture({
    rooms: 120,
    clients: [{ name: "hs1", scopes: ["directory"] }],
    ...options,
  });
  return fx;
}

const check = (f: LookupFixture, rooms: readonly string[]) =>
  f.request(CHECK, {
    method: "POST",
    headers: { authorization: `Bearer ${f.tokens.hs1 as string}` },
    body: JSON.stringify({ room_id_hashes: rooms.map(ljs4Hash) }),
  });

/** The value of one metric line (0 when absent, as Prometheus treats a missing series). */
async function metric(f: LookupFixture, series: string): Promise<number> {
  const text = await (await fetch(`${f.handle.operationsUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The rooms of the reviewers' probe: 90 listed, 10 clean. */
const probe = () => [
  ...Array.from({ length: 90 }, (_, i) => listedRoom(i + 1)),
  ...Array.from({ length: 10 }, (_, i) => cleanRoom(i + 1)),
];

/** Every byte the SQLite database holds (main file, WAL). */
function databaseBytes(f: LookupFixture): string {
  return readdirSync(f.dir)
    .filter((name) => name.startsWith("redlight.db"))
    .map((name) => readFileSync(join(f.dir, name)).toString("latin1"))
    .join("");
}

describe("batch check accounting", () => {
  it("counts a batch of 100 hashes, 90 listed, in metrics, the log and the audit trail — without the hashes", async () => {
    const f = await start();
    const rooms = probe();
    const r = await check(f, rooms);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { listed: Record<string, unknown> };
    expect(Object.keys(body.listed)).toHaveLength(90);

    expect(await metric(f, 'redlight_checks_total{outcome="checked"}')).toBe(1);
    expect(await metric(f, 'redlight_check_hashes_total{client="hs1"}')).toBe(100);
    expect(await metric(f, 'redlight_check_listed_total{client="hs1"}')).toBe(90);

    const lines = readLog(f)
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "batch check", client: "hs1", hashes: 100, listed: 90 }),
    );

    const storage = await openStorage(f.config.database);
    const audit = await storage.listAudit(20);
    await storage.close();
    expect(audit).toContainEqual(
      expect.objectContaining({
        kind: "check",
        client: "hs1",
        subject: null,
        detail: { hashes: 100, listed: 90 },
      }),
    );

    // Nothing that identifies a room reaches the log or the database.
    const log = readLog(f);
    const db = databaseBytes(f);
    for (const room of [rooms[0]!, rooms[89]!, rooms[95]!]) {
      for (const secret of [room, ljs4Hash(room)]) {
        expect(log).not.toContain(secret);
        expect(db).not.toContain(secret);
      }
    }
    expect(db).toContain('"hashes":100'); // the scan reads the audit rows themselves
  });

  it("counts refused batches by outcome", async () => {
    const f = await start({
      clients: [{ name: "hs1", scopes: ["directory"] }, { name: "plain" }],
    });
    const refused = await f.request(CHECK, {
      method: "POST",
      headers: { authorization: `Bearer ${f.tokens.plain as string}` },
      body: JSON.stringify({ room_id_hashes: [ljs4Hash(cleanRoom(1))] }),
    });
    expect(refused.status).toBe(403);
    expect((await check(f, [])).status).toBe(400);
    expect(await metric(f, 'redlight_checks_total{outcome="forbidden"}')).toBe(1);
    expect(await metric(f, 'redlight_checks_total{outcome="bad_request"}')).toBe(1);
    expect(await metric(f, 'redlight_checks_total{outcome="checked"}')).toBe(0);
  });
});

describe("a database fault", () => {
  it("still answers a batch check whose audit record cannot be written, and counts the fault", async () => {
    const f = await start();
    const other = new Database(join(f.dir, "redlight.db"));
    other.exec("BEGIN EXCLUSIVE");
    try {
      const r = await check(f, probe());
      expect(r.status).toBe(200);
      expect(Object.keys(((await r.json()) as { listed: object }).listed)).toHaveLength(90);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(await metric(f, 'redlight_storage_errors_total{operation="record_check"}')).toBe(1);
    expect(await metric(f, 'redlight_check_hashes_total{client="hs1"}')).toBe(100);
    expect(readLog(f)).toContain("auditing a batch check failed");
  });
});

describe("directory quota", () => {
  it("refuses hashes past the directory quota with 429 M_LIMIT_EXCEEDED and a retry time; lookups go on", async () => {
    const f = await start({ lookup: { rate_limits: { directory: { requests: 150, per: "1m" } } } });
    const first = Array.from({ length: 100 }, (_, i) => cleanRoom(i));
    expect((await check(f, first)).status).toBe(200);
    const second = Array.from({ length: 100 }, (_, i) => cleanRoom(100 + i));
    const r = await check(f, second);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await r.json()) as {
      error: { errcode: string; retry_after_ms: number };
      report_id: null;
    };
    expect(body.error.errcode).toBe("M_LIMIT_EXCEEDED");
    expect(body.error.retry_after_ms).toBeGreaterThan(0);
    expect(body.report_id).toBeNull();
    // What is left of the quota still serves a smaller batch; a refused one spent nothing.
    expect((await check(f, second.slice(0, 50))).status).toBe(200);
    expect(await metric(f, 'redlight_quota_refusals_total{quota="directory",client="hs1"}')).toBe(
      1,
    );
    expect(await metric(f, 'redlight_checks_total{outcome="rate_limited"}')).toBe(1);
    expect(await metric(f, 'redlight_check_hashes_total{client="hs1"}')).toBe(150);
    // Joins are not starved by the directory: the client quota still has room.
    expect((await f.lookup(f.tokens.hs1, cleanRoom(500), "@joiner:example.org")).status).toBe(204);
  });

  it("spends the client quota too, so the check is no way around it", async () => {
    const f = await start({ lookup: { rate_limits: { client: { requests: 150, per: "1m" } } } });
    expect((await check(f, probe())).status).toBe(200);
    expect((await check(f, probe())).status).toBe(429);
    expect(await metric(f, 'redlight_quota_refusals_total{quota="client",client="hs1"}')).toBe(1);
    // 50 lookups are left of the client's 150.
    expect((await f.lookup(f.tokens.hs1, cleanRoom(500), "@joiner:example.org")).status).toBe(204);
  });

  it("reaches the guard's lookup client as rate limited, with the delay to wait", async () => {
    const f = await start({ lookup: { rate_limits: { directory: { requests: 100, per: "1m" } } } });
    const client = new StandardLookupClient({
      baseUrl: f.handle.apiUrl,
      token: f.tokens.hs1 as string,
      timeoutMs: 5000,
    });
    try {
      const rooms = (n: number) =>
        Array.from({ length: 100 }, (_, i) => cleanRoom(n + i) as RoomId);
      expect((await client.check(rooms(0))).kind).toBe("checked");
      const refused = await client.check(rooms(100));
      expect(refused.kind).toBe("rate_limited");
      expect(refused.kind === "rate_limited" && refused.retryAfterMs).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});

describe("enumeration signal", () => {
  it("fires for a 90 %-listed batch: metric, warning and audit event, once per window", async () => {
    const f = await start();
    expect((await check(f, probe())).status).toBe(200);
    const series = 'redlight_check_enumeration_suspected_total{client="hs1",reason="listed_share"}';
    expect(await metric(f, series)).toBe(1);
    const warning = readLog(f)
      .split("\n")
      .filter((l) => l.includes("look like enumeration"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warning).toEqual([
      expect.objectContaining({
        level: 40,
        client: "hs1",
        reasons: ["listed_share"],
        new_hashes: 100,
        new_listed: 90,
      }),
    ]);
    const storage = await openStorage(f.config.database);
    const audit = await storage.listAudit(20);
    await storage.close();
    expect(audit).toContainEqual(
      expect.objectContaining({
        kind: "enumeration_suspected",
        client: "hs1",
        detail: expect.objectContaining({ reasons: ["listed_share"] }),
      }),
    );
    // The same window does not fire again.
    const more = Array.from({ length: 20 }, (_, i) => listedRoom(91 + i));
    expect((await check(f, more)).status).toBe(200);
    expect(await metric(f, series)).toBe(1);
  });

  it("stays quiet for a benign directory: 0–2 % listed, pages asked again and again", async () => {
    const f = await start();
    // Five directory pages of 100 rooms; pages 1 and 3 hold two listed rooms (2 %).
    const page = (p: number) =>
      Array.from({ length: 100 }, (_, i) =>
        (p === 1 || p === 3) && i < 2 ? listedRoom(p * 10 + i) : cleanRoom(p * 100 + i),
      );
    for (let round = 0; round < 3; round++) {
      for (let p = 0; p < 5; p++) expect((await check(f, page(p))).status).toBe(200);
    }
    expect(await metric(f, 'redlight_check_hashes_total{client="hs1"}')).toBe(1500);
    expect(await metric(f, 'redlight_check_listed_total{client="hs1"}')).toBe(12);
    for (const reason of ["listed_share", "new_hashes"]) {
      expect(
        await metric(
          f,
          `redlight_check_enumeration_suspected_total{client="hs1",reason="${reason}"}`,
        ),
      ).toBe(0);
    }
    expect(readLog(f)).not.toContain("look like enumeration");
  });

  it("fires on many never-seen hashes at the configured threshold, after a first sweep", async () => {
    const windowMs = 4000;
    const f = await start({
      lookup: { check_enumeration: { new_hashes: 300, window: `${windowMs}ms` } },
    });
    const batch = (n: number) => Array.from({ length: 100 }, (_, i) => cleanRoom(n * 100 + i));
    const series = 'redlight_check_enumeration_suspected_total{client="hs1",reason="new_hashes"}';
    // The first window the service sees of a client is a first sweep: not judged.
    for (let n = 0; n < 4; n++) expect((await check(f, batch(n))).status).toBe(200);
    expect(await metric(f, series)).toBe(0);
    // Into the next window: a wait on the clock, at most one window long.
    const next = (Math.floor(Date.now() / windowMs) + 1) * windowMs;
    while (Date.now() < next) await new Promise((done) => setTimeout(done, 20));
    // Asking the same rooms again is no sign.
    for (let n = 0; n < 4; n++) expect((await check(f, batch(n))).status).toBe(200);
    expect(await metric(f, series)).toBe(0);
    // 400 rooms never asked before: past the threshold with room to spare (the filter may
    // take a rare new room for one seen).
    for (let n = 4; n < 8; n++) expect((await check(f, batch(n))).status).toBe(200);
    expect(await metric(f, series)).toBe(1);
  });
});
