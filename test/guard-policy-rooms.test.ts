/**
 * The guard with `guard.policy_rooms` and no lookup service, in-process (the real graph,
 * `inject`) against a stand-in homeserver holding a policy room: user and server rules
 * refuse invites, room rules refuse joins and invites, a removed rule stops applying, an
 * exempt user passes, other requests pass, and the alert room hears changes as counts
 * only. Synthetic ids only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchMatrixPort } from "../src/policy/fetch-matrix-port.js";
import { PolicyRoomFollower } from "../src/policy/policy-room-follower.js";
import type { AlertText } from "../src/services/guard/alerts/alert-text.js";
import { ANTISPAM_SECRET, composeTestGuard, type TestGuard } from "./support/guard-graph.js";
import { PolicyRoomStandIn } from "./support/policy-room-stand-in.js";

const POLICY = "!synthetic-policy-a:example.org";
const LISTED = "!synthetic-0001:example.org";
const CLEAN = "!orchard-0001:example.org";
const SPAMMER = "@spammer-0001:example.org";
const REMOTE = "@someone:bad.example";
const ALICE = "@alice:example.org";

let hs: PolicyRoomStandIn;
let guard: TestGuard;
let follower: PolicyRoomFollower;
const alerts: { kind: string; text: AlertText }[] = [];

async function until(check: () => boolean | Promise<boolean>, what: string, deadlineMs = 30_000) {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const call = (callback: string, payload: unknown) =>
  guard.composed.api.inject({
    method: "POST",
    url: `/_redlight/antispam/${callback}`,
    headers: { "content-type": "application/json", authorization: `Bearer ${ANTISPAM_SECRET}` },
    payload: JSON.stringify(payload),
  });
const join = (user: string, room: string) =>
  call("user_may_join_room", { user, room, is_invited: false });
const invite = (inviter: string, room: string) =>
  call("user_may_invite", { inviter, invitee: ALICE, room_id: room });
const federatedInvite = (sender: string, room: string) =>
  call("federated_user_may_invite", {
    event: { sender, room_id: room, state_key: ALICE, type: "m.room.member" },
  });

beforeAll(async () => {
  hs = new PolicyRoomStandIn();
  hs.createRoom(POLICY);
  hs.joined.add(POLICY);
  hs.sendState(POLICY, "m.policy.rule.user", "u", { entity: SPAMMER, recommendation: "m.ban" });
  hs.sendState(POLICY, "m.policy.rule.server", "s", {
    entity: "bad.example",
    recommendation: "m.ban",
  });
  hs.sendState(POLICY, "m.policy.rule.room", "r", { entity: LISTED, recommendation: "m.takedown" });
  hs.sendState(POLICY, "m.policy.rule.room", "g", {
    entity: "!*:example.org",
    recommendation: "m.ban",
  });
  await hs.start();
  follower = new PolicyRoomFollower({
    port: fetchMatrixPort(hs.baseUrl, hs.token),
    rooms: [POLICY],
    log: { info: () => undefined, warn: () => undefined },
    longPollMs: 2000,
    backoff: { minMs: 50, maxMs: 400 },
  });
  guard = composeTestGuard(
    {
      guard: {
        lookup: undefined,
        policy_rooms: { access_token_file: "./antispam.secret", rooms: [POLICY] },
      },
    },
    {
      policyFollower: follower,
      alerts: { post: (kind, text) => alerts.push({ kind, text }) },
    },
  );
  guard.composed.start();
  await until(() => follower.healthy, "the policy room read");
});

afterAll(async () => {
  await guard.close();
  await hs.stop();
});

describe("guard: policy rooms without a lookup service", () => {
  it("refuses a join to a room named by a room rule, and lets other joins through", async () => {
    const refused = await join(ALICE, LISTED);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
    expect((await join(ALICE, CLEAN)).statusCode).toBe(200);
  });

  it("refuses invites from a user rule's user, a server rule's server, and into a listed room", async () => {
    expect((await invite(SPAMMER, CLEAN)).statusCode).toBe(403);
    expect((await federatedInvite(REMOTE, CLEAN)).statusCode).toBe(403);
    expect((await invite(ALICE, LISTED)).statusCode).toBe(403);
    expect((await invite(ALICE, CLEAN)).statusCode).toBe(200);
  });

  it("stops applying a rule as soon as it is removed", async () => {
    hs.sendState(POLICY, "m.policy.rule.user", "u", {});
    await until(async () => (await invite(SPAMMER, CLEAN)).statusCode === 200, "the removal");
    hs.sendState(POLICY, "m.policy.rule.user", "u", { entity: SPAMMER, recommendation: "m.ban" });
    await until(async () => (await invite(SPAMMER, CLEAN)).statusCode === 403, "the rule again");
  });

  it("tells the alert room about changes in counts only", async () => {
    await guard.composed.stop(); // flushes the pending change summary
    const texts = alerts.filter((a) => a.kind === "policy_change").map((a) => a.text.plain);
    expect(texts.join("\n")).toMatch(/policy rooms: .*1 room takedowns added/);
    expect(texts.join("\n")).toMatch(/rules skipped: 1 glob/);
    for (const secret of [SPAMMER, "bad.example", LISTED, "spammer"])
      expect(texts.join("\n")).not.toContain(secret);
  });
});
