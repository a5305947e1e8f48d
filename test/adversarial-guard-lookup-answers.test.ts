/**
 * A hostile or broken lookup service, seen from the guard: a stand-in that
 * answers each of the guard's requests with fuzzed statuses, headers and bodies — wrong
 * shapes, huge report ids and tag lists, HTML, truncated JSON, 429s with odd delays. The
 * provider decides whether a room is listed (that is its role), but whatever it sends, the
 * guard answers Synapse deliberately (`200 {}` or one of the operator's refusal texts,
 * never a 5xx, never the provider's words), keeps alerts small, and keeps working.
 *
 * REDLIGHT_FUZZ_SCALE multiplies the number of cases (default 1: 600).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHomeserver } from "./doubles/fake-homeserver.js";
import { basicProblems, callbackProblems } from "./support/guard-answers.js";
import { startGuardWorld, type GuardWorld } from "./support/guard-world.js";
import { clean, listed } from "./support/synapse-stand-in.js";

const SCALE = Number(process.env.REDLIGHT_FUZZ_SCALE ?? "1");
const PROVIDER_WORDS = "PROVIDER-SAYS";
let dir: string;
let provider: FakeHomeserver;
let world: GuardWorld;
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-adv-provider-"));
  provider = await FakeHomeserver.start();
  world = await startGuardWorld({
    dir,
    lookupService: { url: provider.url, token: "synthetic-lookup-token-0123456789abcdef" },
    lookupTimeout: "300ms",
    guard: { cache: { clean_ttl: "1ms", frozen_recheck: "1ms" } },
  });
}, 60_000);

afterAll(async () => {
  await world?.stop();
  await provider?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const huge = (c: string) => fc.integer({ min: 1_000, max: 40_000 }).map((k) => c.repeat(k));
const reportId = fc.oneof(
  fc.string({ maxLength: 20 }),
  huge("r"),
  fc.constantFrom(`<b>${PROVIDER_WORDS}</b>`, "\u202e\u0000", "@room"),
  fc.jsonValue({ maxDepth: 2 }),
);
const match = fc.record(
  {
    error: fc.constantFrom(null, "x"),
    report_id: reportId,
    tags: fc.oneof(fc.array(fc.oneof(fc.string(), huge("t")), { maxLength: 30 }), fc.jsonValue()),
    frozen: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
);
const answer = fc.oneof(
  { weight: 3, arbitrary: match.map((body) => ({ status: 200, body })) },
  { weight: 2, arbitrary: fc.constant({ status: 204 }) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        status: fc.constantFrom(400, 401, 403, 404, 429, 500, 502, 503),
        errcode: fc.constantFrom(
          "LOJ_ACCOUNT_FROZEN",
          "M_LIMIT_EXCEEDED",
          "M_UNKNOWN",
          PROVIDER_WORDS,
        ),
        retry: fc.oneof(fc.integer({ min: -5, max: 1e9 }), fc.jsonValue({ maxDepth: 1 })),
      })
      .map(({ status, errcode, retry }) => ({
        status,
        headers: { "retry-after": String(typeof retry === "number" ? retry : "x") },
        body: { error: { errcode, error: PROVIDER_WORDS, retry_after_ms: retry }, report_id: null },
      })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { status: 200, raw: `{"report_id": "r", "tags": [` },
      { status: 200, raw: `<html>${PROVIDER_WORDS}</html>` },
      { status: 200, raw: "" },
      { status: 200, fault: "reset" as const },
      { status: 200, body: { report_id: "r" }, fault: "truncated" as const },
    ),
  },
);

describe("a hostile lookup service", () => {
  it("cannot make the guard answer anything but its own deliberate answers", async () => {
    const { messages } = world.config.guard;
    const alertsBefore = world.hs.alerts.size;
    await fc.assert(
      fc.asyncProperty(
        answer,
        fc.constantFrom("user_may_join_room", "user_may_invite", "user_may_publish_room"),
        fc.boolean(),
        async (canned, callback, listedRoom) => {
          provider.answer = () => canned;
          const user = `@provider-fuzz-${++n}:example.org`;
          const room = listedRoom ? listed(1) : clean((n % 20) + 1);
          const body =
            callback === "user_may_join_room"
              ? { user, room, is_invited: false }
              : callback === "user_may_invite"
                ? { inviter: user, invitee: "@t:example.org", room_id: room }
                : { user_id: user, room_id: room };
          const r = await world.callback(callback, body);
          const wire = { status: r.status, contentType: "application/json", text: r.text };
          const problems = [
            ...basicProblems(wire, [PROVIDER_WORDS, "rrrrrrrrrr", "tttttttttt"]),
            ...callbackProblems(wire, callback, messages),
          ];
          if (problems.length > 0)
            throw new Error(
              `${problems.join("; ")}\nprovider: ${JSON.stringify(canned).slice(0, 300)}`,
            );
        },
      ),
      { numRuns: Math.round(600 * SCALE) },
    );
    await world.guard.alertsIdle();
    const sent = [...world.hs.alerts.values()].slice(alertsBefore);
    expect(sent.length).toBeGreaterThan(0);
    // Whatever the provider puts in a report id or tags, an alert stays a readable size.
    expect(Math.max(...sent.map((a) => a.body.length + a.html.length))).toBeLessThan(8_000);
    // And the guard works on once the provider behaves.
    provider.answer = () => ({ status: 204 });
    expect(
      (
        await world.callback("user_may_join_room", {
          user: "@ok:example.org",
          room: clean(1),
          is_invited: false,
        })
      ).status,
    ).toBe(200);
  }, 120_000);
});
