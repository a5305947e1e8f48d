/**
 * The lookup service's `policy_room` source, in-process over real HTTP, against a stand-in
 * homeserver: rules of every form become lookups answering 200, a removed rule answers 204
 * within seconds, the source merges with an rdlist file (union of tags), a dead
 * homeserver shows in /ready and the metrics while the last good rules keep answering, and
 * nothing of the list reaches the logs. Synthetic ids only.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  listedRoom,
  readLog,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";
import { PolicyRoomStandIn } from "./support/policy-room-stand-in.js";

const POLICY = "!synthetic-policy-a:example.org";
const ALIAS = "#synthetic-bans:example.org";
const PLAIN = "!synthetic-plain:example.org";
const HASHED = "!synthetic-hashed:example.org";
const LEGACY = "!synthetic-legacy:example.org";
const TAKEDOWN = "!synthetic-takedown:example.org";
let users = 0;
/** A fresh user per lookup: hits count toward a freeze and a per-user quota. */
const user = () => `@u${++users}:example.org`;

let hs: PolicyRoomStandIn;
let fx: LookupFixture;
let token: string;
let secrets: string;

/** Polls until `check` holds (generous deadline: the machine may be busy). */
async function until(check: () => Promise<boolean>, what: string, deadlineMs = 30_000) {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  hs = new PolicyRoomStandIn();
  hs.createRoom(POLICY, ALIAS);
  hs.invited.add(POLICY);
  hs.sendState(POLICY, "m.policy.rule.room", "plain", { entity: PLAIN, recommendation: "m.ban" });
  hs.sendState(POLICY, "m.policy.rule.room", "hashed", {
    "org.matrix.msc4205.hashes": { sha256: createHash("sha256").update(HASHED).digest("base64") },
    recommendation: "m.takedown",
  });
  hs.sendState(POLICY, "m.room.rule.room", "legacy", {
    entity: LEGACY,
    recommendation: "org.matrix.mjolnir.ban",
  });
  hs.sendState(POLICY, "m.policy.rule.room", "glob", {
    entity: "!synthetic-*:example.org",
    recommendation: "m.ban",
  });
  // The rdlist file lists listedRoom(1) as csam; this rule adds `abuse` to it.
  hs.sendState(POLICY, "m.policy.rule.room", "both", {
    entity: listedRoom(1),
    recommendation: "m.ban",
  });
  await hs.start();
  secrets = mkdtempSync(join(tmpdir(), "redlight-policy-"));
  writeFileSync(join(secrets, "reader-token"), hs.token, { mode: 0o600 });
  fx = await startLookupFixture({
    rooms: 3,
    lookup: {
      filtered_tags: ["csam", "abuse"],
      sources: [
        { file: "./list.json" },
        {
          policy_room: {
            homeserver_url: hs.baseUrl,
            access_token_file: join(secrets, "reader-token"),
            rooms: [ALIAS],
            recommendation_tags: { takedown: ["csam"], ban: ["abuse"] },
          },
        },
      ],
    },
  });
  token = fx.tokens.hs1 as string;
});

afterAll(async () => {
  await fx.stop();
  await hs.stop();
  rmSync(secrets, { recursive: true, force: true });
});

describe("lookup: the policy_room source", () => {
  it("answers 200 for plain, hashed, legacy-typed and takedown rules; a glob names nothing", async () => {
    for (const room of [PLAIN, HASHED, LEGACY]) {
      const r = await fx.lookup(token, room, user());
      expect(r.status, room).toBe(200);
      const body = (await r.json()) as { report_id: string; tags: string[] };
      expect(body.report_id).toMatch(/^policy:[0-9a-f]{16}$/);
    }
    expect(
      ((await (await fx.lookup(token, HASHED, user())).json()) as { tags: string[] }).tags,
    ).toEqual(["csam"]);
    expect((await fx.lookup(token, "!synthetic-globbed:example.org", user())).status).toBe(204);
    // Merged with the rdlist file: a room in both sources has the union of their tags.
    const both = (await (await fx.lookup(token, listedRoom(1), user())).json()) as {
      tags: string[];
    };
    expect(both.tags.sort()).toEqual(["abuse", "csam"]);
  });

  it("takes a new rule and a removal within seconds", async () => {
    hs.sendState(POLICY, "m.policy.rule.room", "takedown", {
      entity: TAKEDOWN,
      recommendation: "m.takedown",
    });
    const sent = Date.now();
    await until(
      async () => (await fx.lookup(token, TAKEDOWN, user())).status === 200,
      "the new rule",
    );
    const added = Date.now() - sent;
    hs.sendState(POLICY, "m.policy.rule.room", "plain", {});
    const removedAt = Date.now();
    await until(async () => (await fx.lookup(token, PLAIN, user())).status === 204, "the removal");
    const removed = Date.now() - removedAt;
    // The promise is 5 s; the deadline above is generous for a busy machine, this is the proof.
    expect(Math.max(added, removed)).toBeLessThan(5000);
  });

  it("shows a dead homeserver in /ready and the metrics, and keeps answering", async () => {
    const metrics = async () => (await fetch(`${fx.handle.operationsUrl}/metrics`)).text();
    expect(await metrics()).toMatch(
      /redlight_policy_rules\{kind="room",recommendation="ban"\} [1-9]/,
    );
    expect(await metrics()).toMatch(/redlight_policy_skipped_rules\{reason="glob"\} 1/);
    await hs.stop();
    await until(async () => {
      const ready = (await (await fx.request("/ready")).json()) as { warnings?: string[] };
      return ready.warnings?.some((w) => w.includes("sync failing")) === true;
    }, "a degraded /ready");
    expect((await fx.lookup(token, LEGACY, user())).status).toBe(200);
    await hs.start();
    await until(async () => {
      const ready = (await (await fx.request("/ready")).json()) as { warnings?: string[] };
      return ready.warnings === undefined;
    }, "recovery");
  });

  it("never logs a listed room or the reader's token", () => {
    const log = readLog(fx);
    expect(log).toContain("policy rooms");
    for (const secret of [PLAIN, HASHED, LEGACY, TAKEDOWN, hs.token, listedRoom(1)])
      expect(log).not.toContain(secret);
  });
});
