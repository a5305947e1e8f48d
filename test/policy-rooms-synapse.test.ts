/**
 * Policy rooms on a real Synapse: a moderator account creates a policy room, invites the
 * reading account and sends rules. The lookup service's `policy_room` source follows it
 * by alias (accepting the invite) and answers 200 for plain, hashed (MSC4205),
 * legacy-typed and takedown (MSC4204) rules, 204 after a removal (within 5 s), and skips a
 * glob room rule. The guard, configured with `policy_rooms` and no lookup service, refuses
 * an invite from a user named by a user rule and from a server named by a server rule
 * (the local server: the only one a single Synapse has), lets the server admin through,
 * and refuses a join to a room named by a room rule. The guard's callbacks are injected in
 * process here (guard-e2e.test.ts covers Synapse calling them); the follower and the
 * admin check speak to the real Synapse. Synthetic ids only.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANTISPAM_SECRET, composeTestGuard, type TestGuard } from "./support/guard-graph.js";
import { startLookupFixture, type LookupFixture } from "./support/lookup-fixture.js";
import type { MatrixTestClient } from "./support/matrix-client.js";
import { startSynapse, type RegisteredUser, type SynapseHandle } from "./support/synapse.js";

let hs: SynapseHandle;
let moderator: MatrixTestClient;
let admin: RegisteredUser;
let eve: RegisteredUser;
let bob: RegisteredUser;
let policyRoom: string;
let alias: string;
let dir: string;
let fx: LookupFixture | undefined;
let guard: TestGuard | undefined;
let users = 0;

const room = (name: string) => `!synthetic-${name}:${hs.serverName}`;
const user = () => `@u${++users}:example.org`;

async function until(check: () => Promise<boolean>, what: string, deadlineMs = 60_000) {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  hs = await startSynapse();
  moderator = hs.client(await hs.registerUser("moderator"));
  const reader = await hs.registerUser("policy-reader");
  admin = await hs.registerUser("admin", { admin: true });
  eve = await hs.registerUser("eve");
  bob = await hs.registerUser("bob");
  policyRoom = await moderator.createRoom({
    preset: "private_chat",
    roomAliasName: "community-bans",
    invite: [reader.userId],
  });
  alias = `#community-bans:${hs.serverName}`;
  const rule = (type: string, key: string, content: Record<string, unknown>) =>
    moderator.sendState(policyRoom, type, key, content);
  await rule("m.policy.rule.room", "plain", { entity: room("plain"), recommendation: "m.ban" });
  await rule("m.policy.rule.room", "hashed", {
    hashes: { sha256: createHash("sha256").update(room("hashed")).digest("base64") },
    recommendation: "m.ban",
  });
  await rule("org.matrix.mjolnir.rule.room", "legacy", {
    entity: room("legacy"),
    recommendation: "org.matrix.mjolnir.ban",
  });
  await rule("m.policy.rule.room", "takedown", {
    entity: room("takedown"),
    recommendation: "m.takedown",
  });
  await rule("m.policy.rule.room", "glob", {
    entity: `!synthetic-*:${hs.serverName}`,
    recommendation: "m.ban",
  });
  await rule("m.policy.rule.user", "eve", { entity: eve.userId, recommendation: "m.ban" });
  await rule("m.policy.rule.server", "local", {
    entity: hs.serverName,
    recommendation: "m.ban",
  });

  dir = mkdtempSync(join(tmpdir(), "redlight-policy-synapse-"));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };
  const readerToken = file("reader-token", reader.accessToken);
  fx = await startLookupFixture({
    rooms: 1,
    lookup: {
      filtered_tags: ["csam", "abuse"],
      sources: [
        {
          policy_room: {
            homeserver_url: hs.baseUrl,
            access_token_file: readerToken,
            rooms: [alias],
            recommendation_tags: { takedown: ["csam"], ban: ["abuse"] },
          },
        },
      ],
    },
  });
  guard = composeTestGuard({
    homeserverUrl: hs.baseUrl,
    guard: {
      lookup: undefined,
      admin_token_file: file("admin-token", admin.accessToken),
      policy_rooms: { access_token_file: readerToken, rooms: [alias] },
    },
  });
  guard.composed.start();
}, 300_000);

afterAll(async () => {
  await guard?.close();
  await fx?.stop();
  await hs?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const call = (callback: string, payload: unknown) =>
  (guard as TestGuard).composed.api.inject({
    method: "POST",
    url: `/_redlight/antispam/${callback}`,
    headers: { "content-type": "application/json", authorization: `Bearer ${ANTISPAM_SECRET}` },
    payload: JSON.stringify(payload),
  });
const invite = (inviter: string, to: string) =>
  call("user_may_invite", { inviter, invitee: `@alice:${hs.serverName}`, room_id: to });

describe("policy rooms on a real Synapse", () => {
  it("lookup: 200 for plain, hashed, legacy-typed and takedown rules; a glob is skipped", async () => {
    const lookup = (name: string) =>
      (fx as LookupFixture).lookup(fx?.tokens.hs1, room(name), user());
    await until(async () => (await lookup("plain")).status === 200, "the policy room followed");
    for (const name of ["hashed", "legacy", "takedown"])
      expect((await lookup(name)).status, name).toBe(200);
    const takedown = (await (await lookup("takedown")).json()) as { tags: string[] };
    expect(takedown.tags).toEqual(["csam"]);
    expect((await lookup("globbed")).status).toBe(204);
  });

  it("lookup: 204 within 5 s after the moderator removes a rule", async () => {
    const lookup = (name: string) =>
      (fx as LookupFixture).lookup(fx?.tokens.hs1, room(name), user());
    await until(async () => (await lookup("plain")).status === 200, "the rule in force");
    const sent = Date.now();
    await moderator.sendState(policyRoom, "m.policy.rule.room", "plain", {});
    await until(async () => (await lookup("plain")).status === 204, "the removal");
    expect(Date.now() - sent).toBeLessThan(5000);
  });

  it("guard: refuses invites by user rule and server rule, lets the server admin through", async () => {
    const clean = `!orchard-0001:${hs.serverName}`;
    await until(async () => (await invite(eve.userId, clean)).statusCode === 403, "the user rule");
    expect((await invite(bob.userId, clean)).statusCode).toBe(403); // server rule: the local server
    expect((await invite(admin.userId, clean)).statusCode).toBe(200); // a server admin is exempt
  });

  it("guard: refuses a join to a room named by a room rule, with no lookup service", async () => {
    const join = (who: string, to: string) =>
      call("user_may_join_room", { user: who, room: to, is_invited: false });
    expect((await join(bob.userId, room("takedown"))).statusCode).toBe(403);
    expect((await join(bob.userId, `!orchard-0002:${hs.serverName}`)).statusCode).toBe(200);
    expect((await join(admin.userId, room("takedown"))).statusCode).toBe(200);
  });
});
