/**
 * Faults of the homeserver seen from the guard, with a stand-in Synapse that
 * can hang, refuse connections, drop answers and send garbage:
 *  - the admin API hangs: decisions still come within `admin_api_timeout` plus the lookup,
 *    and listed rooms are still refused;
 *  - the homeserver (alert room) is unreachable: decisions are not delayed at all, alerts
 *    are retried with backoff and arrive once each when it is back — also when an answer
 *    is lost after the message was posted (same transaction id);
 *  - the directory upstream is down, slow, or answers garbage, a truncated page, a page
 *    without `chunk` or an HTML error: 502 or 504 with a Matrix JSON error, then it
 *    recovers by itself (docs/guard.md "Alerts", docs/directory.md "Fail behaviour").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicProblems, jsonOf, matrixErrorProblems } from "./support/guard-answers.js";
import { metricValue, startGuardWorld, type GuardWorld } from "./support/guard-world.js";
import { clean, listed, SERVER, type PartMode } from "./support/synapse-stand-in.js";

const ADMIN_TIMEOUT_MS = 400;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
let dir: string;
let world: GuardWorld;
let n = 0;

async function timedJoin(room: string): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const answer = await world.callback("user_may_join_room", {
    user: `@hs-fault-${++n}:${SERVER}`,
    room,
    is_invited: false,
  });
  return { status: answer.status, ms: Date.now() - started };
}

async function waitFor(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const joinAlerts = () =>
  [...world.hs.alerts.values()].filter((a) => a.body.startsWith("Join refused"));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-faults-hs-"));
  world = await startGuardWorld({
    dir,
    guard: {
      admin_api_timeout: `${ADMIN_TIMEOUT_MS}ms`,
      cache: { clean_ttl: "1ms", membership_ttl: "1ms" },
      client_proxy: { listen: "127.0.0.1:0" },
      directory: { upstream_timeout: "400ms" },
    },
  });
}, 60_000);

afterAll(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the homeserver failing", () => {
  it("a hanging admin API delays decisions by at most admin_api_timeout; verdicts hold", async () => {
    const batch = () =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          timedJoin(i % 2 === 0 ? listed((i % 6) + 1) : clean(i + 1)),
        ),
      );
    // The same batch with the admin API answering: what this machine takes right now, so
    // the bound below holds on a busy machine too.
    const answered = Math.max(...(await batch()).map((r) => r.ms));
    world.hs.modes.admin = "hang";
    const results = await batch();
    world.hs.modes.admin = "ok";
    results.forEach((r, i) => expect(r.status).toBe(i % 2 === 0 ? 403 : 200));
    const slowest = Math.max(...results.map((r) => r.ms));
    expect(slowest).toBeLessThan(answered + ADMIN_TIMEOUT_MS + 1_000);
    const metrics = await world.metrics();
    // Only the joins of listed rooms ask the admin API: a clean room needs no membership.
    expect(
      metricValue(metrics, 'redlight_guard_admin_api_failures_total{purpose="joined_rooms"}'),
    ).toBe(10);
    console.log(
      `faults-guard-homeserver: admin API hanging, 20 joins, slowest ${slowest} ms (${answered} ms answered)`,
    );
  }, 30_000);

  it("an unreachable homeserver never delays a decision; alerts are retried and arrive once each", async () => {
    await world.guard.alertsIdle();
    const before = joinAlerts().length;
    await world.hs.fake.close(); // connection refused: admin API and alert room alike
    const decisions = [];
    for (let i = 1; i <= 3; i++) decisions.push(await timedJoin(listed(i)));
    expect(decisions.map((d) => d.status)).toEqual([403, 403, 403]);
    // Well under the first alert retry (1 s): no decision waited for its alert; loose
    // enough for a busy machine.
    expect(Math.max(...decisions.map((d) => d.ms))).toBeLessThan(1_000);
    const retried = async () =>
      metricValue(
        await world.metrics(),
        'redlight_guard_alerts_total{kind="join_refused",outcome="retried"}',
      );
    for (const until = Date.now() + 20_000; (await retried()) < 1; await sleep(50)) {
      if (Date.now() > until) throw new Error("timed out waiting for an alert retry");
    }
    await world.hs.fake.reopen();
    await waitFor("the queued alerts", () => joinAlerts().length === before + 3);
    await world.guard.alertsIdle();
    expect(joinAlerts()).toHaveLength(before + 3);
  }, 40_000);

  it("an answer lost after the alert was posted is retried under the same transaction id: one message", async () => {
    await world.guard.alertsIdle();
    const before = joinAlerts().length;
    const attempts = world.hs.alertAttempts;
    world.hs.modes.alerts = "lost";
    expect((await timedJoin(listed(4))).status).toBe(403);
    await waitFor("a first attempt", () => world.hs.alertAttempts > attempts);
    await sleep(200);
    world.hs.modes.alerts = "ok";
    await waitFor("the retry", () => world.hs.alertAttempts >= attempts + 2);
    await world.guard.alertsIdle();
    expect(joinAlerts()).toHaveLength(before + 1);
  }, 30_000);
});

describe("the directory upstream failing", () => {
  const cases: [PartMode, number][] = [
    ["down", 502],
    ["hang", 504],
    ["garbage", 502],
    ["truncated", 502],
    ["no-chunk", 502],
    ["html", 502],
  ];
  it.each(cases)("%s: %i with a Matrix JSON error, then recovers", async (mode, status) => {
    world.hs.modes.directory = mode;
    for (const [path, method] of [
      ["/_matrix/client/v3/publicRooms", "GET"],
      ["/_matrix/client/r0/publicRooms", "POST"],
      ["/_matrix/federation/v1/publicRooms", "GET"],
    ] as const) {
      const r = await fetch(`${world.guard.clientProxyUrl}${path}`, {
        method,
        ...(method === "POST" ? { body: JSON.stringify({ limit: 5 }) } : {}),
        headers: { "accept-language": "fr" },
      });
      const answer = {
        status: r.status,
        contentType: r.headers.get("content-type") ?? undefined,
        text: await r.text(),
      };
      expect([...basicProblems(answer, []), ...matrixErrorProblems(answer, [status])]).toEqual([]);
      expect(jsonOf(answer.text)).toEqual({
        errcode: "M_UNKNOWN",
        error: world.config.guard.messages.directory_unavailable.en,
      });
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
    }
    world.hs.modes.directory = "ok";
    const again = await fetch(`${world.guard.clientProxyUrl}/_matrix/client/v3/publicRooms`);
    expect(again.status).toBe(200);
  });

  it("a homeserver refusing connections: 502, then pages again when it is back", async () => {
    await world.hs.fake.close();
    const down = await fetch(`${world.guard.clientProxyUrl}/_matrix/client/v3/publicRooms`);
    expect(down.status).toBe(502);
    await world.hs.fake.reopen();
    const back = await fetch(`${world.guard.clientProxyUrl}/_matrix/client/v3/publicRooms`);
    expect(back.status).toBe(200);
  });
});
