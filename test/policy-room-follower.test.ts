/**
 * The policy room follower against a stand-in homeserver over real HTTP (the fetch port):
 * alias, invite, state, sync, removal by empty content and by redaction, gaps, a kick, a
 * dead token, a homeserver restart, an oversized state — and a status that never names an
 * entity. Synthetic ids only.
 */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { UserId } from "../src/core/ids.js";
import { fetchMatrixPort } from "../src/policy/fetch-matrix-port.js";
import { PolicyRoomFollower, type FollowerLog } from "../src/policy/policy-room-follower.js";
import type { PolicyChange } from "../src/policy/followed-room.js";
import { PolicyRoomStandIn } from "./support/policy-room-stand-in.js";

const POLICY = "!synthetic-policy-a:example.org";
const POLICY_B = "!synthetic-policy-b:example.org";
const ALIAS = "#synthetic-bans:example.org";
const ROOM_1 = "!synthetic-0001:example.org";
const ROOM_2 = "!synthetic-0002:example.org";
const ROOM_3 = "!synthetic-0003:example.org";
const SPAMMER = "@spammer-0001:example.org" as UserId;
const TAGS = { takedown: ["csam"], ban: ["abuse"] };
const ljs4 = (id: string) =>
  createHash("sha256").update(createHash("sha256").update(id).digest()).digest("hex");

const lines: string[] = [];
const log: FollowerLog = {
  info: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
  warn: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`),
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  lines.length = 0;
});

async function world(options: { rooms?: string[]; maxStateEvents?: number } = {}) {
  const hs = new PolicyRoomStandIn();
  hs.createRoom(POLICY, ALIAS);
  hs.invited.add(POLICY);
  hs.sendState(POLICY, "m.policy.rule.room", "r1", { entity: ROOM_1, recommendation: "m.ban" });
  await hs.start();
  const follower = new PolicyRoomFollower({
    port: fetchMatrixPort(hs.baseUrl, hs.token),
    rooms: options.rooms ?? [ALIAS],
    log,
    longPollMs: 2000,
    backoff: { minMs: 50, maxMs: 400 },
    ...(options.maxStateEvents === undefined ? {} : { maxStateEvents: options.maxStateEvents }),
  });
  const changes: PolicyChange[] = [];
  follower.onChange((c) => changes.push(c));
  cleanup.push(
    () => follower.stop(),
    () => hs.stop(),
  );
  return { hs, follower, changes };
}

const listed = (f: PolicyRoomFollower) =>
  new Set<string>(f.listedRooms(TAGS).map((r) => String(r.hash)));

/** Polls until `check` holds (generous deadline: the machine may be busy). */
async function until(check: () => boolean, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("PolicyRoomFollower", () => {
  it("resolves the alias, accepts the invite, reads the state, then follows by sync", async () => {
    const { hs, follower, changes } = await world();
    follower.start();
    await until(() => listed(follower).has(ljs4(ROOM_1)), "the first rule");
    expect(hs.joined.has(POLICY)).toBe(true);
    expect(follower.status().rooms[0]).toMatchObject({
      room: ALIAS,
      roomId: POLICY,
      state: "following",
    });

    // A takedown with a legacy type, and a hashed rule (MSC4205), arrive by sync.
    hs.sendState(POLICY, "org.matrix.mjolnir.rule.room", "r2", {
      entity: ROOM_2,
      recommendation: "m.takedown",
    });
    const digest = createHash("sha256").update(ROOM_3).digest("base64");
    hs.sendState(POLICY, "m.policy.rule.room", "r3", {
      hashes: { sha256: digest },
      recommendation: "m.ban",
    });
    await until(
      () => listed(follower).has(ljs4(ROOM_2)) && listed(follower).has(ljs4(ROOM_3)),
      "new rules",
    );
    expect(follower.listedRooms(TAGS).find((r) => r.hash === ljs4(ROOM_2))?.tags).toEqual(["csam"]);

    // Removal by empty content, and by redaction.
    hs.sendState(POLICY, "org.matrix.mjolnir.rule.room", "r2", {});
    const r1 = [...(hs.state.get(POLICY)?.values() ?? [])].find((e) => e.state_key === "r1");
    hs.redact(POLICY, String(r1?.event_id));
    await until(
      () => !listed(follower).has(ljs4(ROOM_2)) && !listed(follower).has(ljs4(ROOM_1)),
      "removals",
    );
    expect(listed(follower).has(ljs4(ROOM_3))).toBe(true);
    expect(changes.some((c) => c.rules.room.takedown === 1)).toBe(true);
    expect(changes.some((c) => c.rules.room.ban < 0 || c.rules.room.takedown < 0)).toBe(true);
  });

  it("follows a rule replaced by one naming another room (the counts stay the same)", async () => {
    const { hs, follower, changes } = await world();
    follower.start();
    await until(() => listed(follower).has(ljs4(ROOM_1)), "the first rule");
    const told = changes.length;
    hs.sendState(POLICY, "m.policy.rule.room", "r1", { entity: ROOM_2, recommendation: "m.ban" });
    // Listeners (the list source) must hear of it, or the list is not rebuilt.
    await until(() => changes.length > told, "a change told");
    await until(
      () => listed(follower).has(ljs4(ROOM_2)) && !listed(follower).has(ljs4(ROOM_1)),
      "the replacement",
    );
  });

  it("skips and counts a glob room rule; the status names no entity", async () => {
    const { hs, follower } = await world();
    hs.sendState(POLICY, "m.policy.rule.room", "glob", {
      entity: "!synthetic-*:example.org",
      recommendation: "m.ban",
    });
    hs.sendState(POLICY, "m.policy.rule.user", "u1", {
      entity: "@spammer-0001:example.org",
      recommendation: "m.ban",
    });
    hs.sendState(POLICY, "m.policy.rule.room", "bad", { entity: 42, recommendation: "m.ban" });
    follower.start();
    await until(() => follower.status().rooms[0]?.state === "following", "following");
    const status = follower.status();
    expect(status.rooms[0]?.counts.skipped.glob).toBe(1);
    expect(status.rooms[0]?.counts.skipped["bad-entity"]).toBe(1);
    expect(status.rooms[0]?.counts.rules.user.ban).toBe(1);
    expect(follower.matcher().matchesUser(SPAMMER)).toEqual({
      recommendation: "ban",
    });
    const text = JSON.stringify(status) + lines.join("\n");
    for (const entity of [ROOM_1, "spammer-0001", "synthetic-*"])
      expect(text).not.toContain(entity);
  });

  it("keeps the last good rules through a dead token and a homeserver restart", async () => {
    const { hs, follower } = await world();
    follower.start();
    await until(() => listed(follower).has(ljs4(ROOM_1)), "the first rule");

    hs.token = "syt_synthetic_other_token";
    hs.sendState(POLICY, "m.policy.rule.room", "r2", { entity: ROOM_2, recommendation: "m.ban" });
    await until(
      () => follower.status().degraded?.includes("token was rejected") === true,
      "degraded",
    );
    expect(listed(follower).has(ljs4(ROOM_1))).toBe(true);
    expect(follower.healthy).toBe(false);
    hs.token = "syt_synthetic_follower_token";
    await until(() => listed(follower).has(ljs4(ROOM_2)), "recovery after the token works again");

    await hs.stop(); // mid long-poll
    await until(
      () => follower.status().degraded?.includes("did not answer") === true,
      "degraded while down",
    );
    expect(listed(follower).has(ljs4(ROOM_1))).toBe(true);
    hs.sendState(POLICY, "m.policy.rule.room", "r4", { entity: ROOM_3, recommendation: "m.ban" });
    await hs.start();
    await until(
      () => listed(follower).has(ljs4(ROOM_3)) && follower.healthy,
      "recovery after the restart",
    );
  });

  it("reads the whole state again after a gap, and keeps rules of a room it was kicked from", async () => {
    const { hs, follower } = await world();
    follower.start();
    await until(() => listed(follower).has(ljs4(ROOM_1)), "the first rule");
    const statesBefore = hs.requests.get("state") ?? 0;
    hs.flood(POLICY, 250); // over the filter's timeline limit: a `limited` timeline
    hs.sendState(POLICY, "m.policy.rule.room", "r2", { entity: ROOM_2, recommendation: "m.ban" });
    await until(() => listed(follower).has(ljs4(ROOM_2)), "the rule after the gap");
    expect(hs.requests.get("state") ?? 0).toBeGreaterThan(statesBefore);
    expect(follower.status().rooms[0]?.counts.rules.user.ban).toBe(250);

    hs.kick(POLICY);
    await until(() => follower.status().rooms[0]?.state === "degraded", "degraded after the kick");
    expect(listed(follower).has(ljs4(ROOM_1))).toBe(true);
    hs.invited.add(POLICY); // invited back: the follower joins again
    await until(() => follower.status().rooms[0]?.state === "following", "following again");
  });

  it("degrades a room it cannot follow (no invite, oversized state) and follows the others", async () => {
    const { hs, follower } = await world({
      rooms: [ALIAS, POLICY_B, "#synthetic-gone:example.org"],
      maxStateEvents: 5,
    });
    hs.createRoom(POLICY_B);
    follower.start();
    await until(() => listed(follower).has(ljs4(ROOM_1)), "the first rule");
    await until(
      () => follower.status().rooms.every((r) => r.state !== "starting"),
      "every room tried",
    );
    const [a, b, gone] = follower.status().rooms;
    expect(a?.state).toBe("following");
    expect(b).toMatchObject({ state: "degraded" });
    expect(b?.degraded).toContain("join");
    expect(gone?.degraded).toContain("alias");

    for (let i = 0; i < 10; i++)
      hs.sendState(POLICY, "m.policy.rule.user", `u${i}`, {
        entity: `@spammer-${i}:example.org`,
        recommendation: "m.ban",
      });
    hs.flood(POLICY, 250); // forces a full read, now over the limit of 5 events
    await until(
      () => follower.status().rooms[0]?.degraded?.includes("over the limit") === true,
      "oversized",
    );
    expect(listed(follower).has(ljs4(ROOM_1))).toBe(true); // last good rules kept
  });

  it("reads state once for the status command", async () => {
    const { follower } = await world();
    const status = await follower.followOnce();
    expect(status.rooms[0]?.counts.rules.room.ban).toBe(1);
    expect(status.rooms[0]?.lastSyncAt).toBeGreaterThan(0);
  });
});
