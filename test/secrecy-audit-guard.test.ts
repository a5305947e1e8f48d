/**
 * Secrecy audit of the guard and the room directory guard: a whole scenario as
 * a homeserver lives it — joins to listed rooms up to a freeze, a member found inside a
 * listed room, invites and publications refused, directory pages with listed and
 * term-named rooms, searches for the term in several evasion forms (client, federation,
 * another server, the text check), an unfreeze, a lookup outage and its recovery — with
 * the guard logging at debug level. Then every byte it left behind is scanned: its folder
 * (log, config), every alert it sent, its metrics. No listed room id (include_room_id is
 * off), list hash, pseudonym, token, secret or searched term may appear.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyedUserPseudonym, ljs4Hash, ljs4HashBytes } from "../src/core/hash.js";
import { operationsToken } from "./guard-fixture.js";
import { metricValue, startGuardWorld, type GuardWorld } from "./support/guard-world.js";
import { clean, listed, SERVER, TERM, termRoom } from "./support/synapse-stand-in.js";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const FROZEN_USER = `@audited:${SERVER}`;
/** What searchers typed. */
const SEARCHES = [
  TERM,
  `where is ${TERM} chat`,
  "q u o k k a b e r r y",
  "ｑｕｏｋｋａｂｅｒｒｙ",
  "qu0kk4b3rry",
  "quo\u200bkkaberry",
];
let dir: string;
let world: GuardWorld;
const artefacts: { where: string; bytes: Buffer }[] = [];

function walk(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

async function scenario(): Promise<void> {
  const { callback, hs, guard } = world;
  const join = (user: string, room: string) =>
    callback("user_may_join_room", { user, room, is_invited: false });
  // Three listed rooms: refused, then frozen; a clean room is refused too.
  for (const i of [1, 2, 3]) expect((await join(FROZEN_USER, listed(i))).status).toBe(403);
  expect((await join(FROZEN_USER, clean(1))).status).toBe(403);
  expect((await join(`@fine:${SERVER}`, clean(2))).status).toBe(200);
  // A member of a room listed after they joined changes their display name.
  hs.joined.set(`@member:${SERVER}`, new Set([listed(5)]));
  await join(`@member:${SERVER}`, listed(5));
  // Invites: into a listed room, into a room named with the term, from a denied server.
  await callback("user_may_invite", {
    inviter: `@inviter:${SERVER}`,
    invitee: `@target:${SERVER}`,
    room_id: listed(4),
  });
  await callback("user_may_invite", {
    inviter: `@inviter:${SERVER}`,
    invitee: `@target:${SERVER}`,
    room_id: termRoom(1),
  });
  await callback("federated_user_may_invite", {
    event: {
      sender: "@spammer:bad.spam.example",
      room_id: "!remote-room:bad.spam.example",
      state_key: `@target:${SERVER}`,
      type: "m.room.member",
      unsigned: {
        invite_room_state: [{ type: "m.room.name", content: { name: `${TERM} party` } }],
      },
    },
  });
  await callback("federated_user_may_invite", {
    event: {
      sender: "@someone:other.example",
      room_id: "!remote-room:other.example",
      state_key: `@target:${SERVER}`,
      type: "m.room.member",
      unsigned: { invite_room_state: [{ type: "m.room.topic", content: { topic: SEARCHES[2] } }] },
    },
  });
  // Publications: a listed room, a room named with the term.
  await callback("user_may_publish_room", { user_id: `@owner:${SERVER}`, room_id: listed(6) });
  await callback("user_may_publish_room", { user_id: `@owner:${SERVER}`, room_id: termRoom(2) });
  // The directory: pages (listed and term-named rooms hidden), searches, other servers.
  const directory = `${guard.clientProxyUrl}/_matrix/client/v3/publicRooms`;
  for (const since of ["", "?since=p10", "?since=p20", "?limit=100"])
    await fetch(`${directory}${since}`);
  await fetch(`${guard.clientProxyUrl}/_matrix/federation/v1/publicRooms?limit=100`);
  for (const search of SEARCHES) {
    for (const url of [directory, `${guard.clientProxyUrl}/_matrix/federation/v1/publicRooms`]) {
      const r = await fetch(url, {
        method: "POST",
        body: JSON.stringify({ filter: { generic_search_term: search } }),
      });
      expect(r.status).toBe(403);
    }
    const text = await fetch(`${guard.url}/_policyserv/v1/check/text`, {
      method: "POST",
      headers: { authorization: `Bearer ${world.secrets.textKey}` },
      body: search,
    });
    expect(text.status).toBe(400);
  }
  await fetch(`${directory}?server=fails.example`);
  // An unfreeze from the command line.
  const unfreeze = await fetch(`${guard.operationsUrl}/admin/unfreeze`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${operationsToken(world.config)}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ user_id: FROZEN_USER }),
  });
  expect(unfreeze.status).toBe(200);
  // A lookup outage and its recovery.
  await world.lookup?.stop();
  await join(`@during-outage:${SERVER}`, listed(2));
  await callback("user_may_publish_room", { user_id: `@owner:${SERVER}`, room_id: clean(3) });
  await fetch(`${directory}?limit=100`);
  await world.lookup?.start();
  expect((await join(`@after-outage:${SERVER}`, listed(2))).status).toBe(403);
  // The summaries (invites every second, directory every second) go out.
  await sleep(1_300);
  await guard.alertsIdle();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-audit-guard-"));
  world = await startGuardWorld({ dir, logLevel: "debug" });
  await scenario();
  const metrics = await world.metrics();
  artefacts.push({ where: "metrics", bytes: Buffer.from(metrics) });
  await world.stop();
  for (const alert of world.hs.alerts.values()) {
    artefacts.push({
      where: `alert ${alert.txnId}`,
      bytes: Buffer.from(`${alert.body}\n${alert.html}`),
    });
  }
  // The guard's own folder; the secrets and the term list hold what they hold by design.
  for (const file of walk(join(dir, "guard"))) {
    if (file.includes("/secrets/") || file.endsWith("terms.txt")) continue;
    artefacts.push({ where: file.replace(`${dir}/`, ""), bytes: readFileSync(file) });
  }
  expect(metricValue(metrics, "redlight_guard_lookup_degraded")).toBe(0);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Where each needle occurs. */
function findings(
  needles: ReadonlyArray<readonly [string, Buffer]>,
  scanned: readonly { where: string; bytes: Buffer }[] = artefacts,
): string[] {
  const found: string[] = [];
  for (const { where, bytes } of scanned)
    for (const [what, needle] of needles)
      if (bytes.includes(needle)) found.push(`${what} in ${where}`);
  return found;
}

describe("secrecy audit of the guard", () => {
  it("scanned the log, the config, every alert and the metrics, and they say what happened", () => {
    const names = artefacts.map((a) => a.where);
    expect(names).toEqual(
      expect.arrayContaining(["metrics", "guard/guard.log", "guard/redlight.yaml"]),
    );
    const alerts = [...world.hs.alerts.values()].map((a) => a.body.split(":")[0]);
    // The scan is meaningful only if the scenario produced each kind of alert.
    expect(new Set(alerts)).toEqual(
      new Set([
        "Join refused",
        "Account frozen",
        "User inside a listed room",
        "Invites refused",
        "Publication refused",
        "Room directory",
        "Account unfrozen",
        "Protection degraded",
        "Protection restored",
      ]),
    );
    const log = readFileSync(join(dir, "guard", "guard.log"), "utf8");
    expect(log).toContain("join refused: listed room"); // the canary: the log is there
    console.log(
      `secrecy-audit-guard: ${artefacts.length} artefacts, ${artefacts.reduce((n, a) => n + a.bytes.length, 0)} bytes, ${alerts.length} alerts`,
    );
  });

  it("finds no listed room id, list hash or hidden room id", () => {
    const needles: [string, Buffer][] = [];
    const rooms = [
      ...world.listedRooms.map((r, i) => [`listed room ${i + 1}`, r] as const),
      ...[1, 2, 3, 4, 5, 6].map((i) => [`term-named room ${i}`, termRoom(i)] as const),
    ];
    for (const [what, room] of rooms) {
      needles.push([what, Buffer.from(room)]);
      needles.push([`${what} (URL-encoded)`, Buffer.from(encodeURIComponent(room))]);
      needles.push([`${what} (local part)`, Buffer.from(room.slice(0, room.indexOf(":")))]);
      needles.push([`${what} hash`, Buffer.from(ljs4Hash(room))]);
      needles.push([`${what} hash (base64)`, Buffer.from(ljs4HashBytes(room).toString("base64"))]);
      needles.push([`${what} hash (raw)`, ljs4HashBytes(room)]);
    }
    expect(findings(needles)).toEqual([]);
    // The canary: the same needles do find the rooms where they must be (the homeserver
    // is asked about them by id).
    const asked = Buffer.from(world.hs.received.map((r) => r.url).join("\n"));
    expect(findings(needles, [{ where: "requests to the homeserver", bytes: asked }])).toEqual(
      expect.arrayContaining([
        "listed room 6 (URL-encoded) in requests to the homeserver",
        "term-named room 1 (URL-encoded) in requests to the homeserver",
      ]),
    );
  });

  it("finds no token, secret or pseudonym", () => {
    const s = world.secrets;
    const needles: [string, Buffer][] = [
      ["antispam secret", Buffer.from(s.antispam)],
      ["pseudonym secret", Buffer.from(s.pseudonym)],
      ["lookup token", Buffer.from(s.lookupToken)],
      ["alert-bot token", Buffer.from(s.botToken)],
      ["admin token", Buffer.from(s.adminToken)],
      ["text check key", Buffer.from(s.textKey)],
      ["operations token", Buffer.from(operationsToken(world.config))],
      ["a frozen user's pseudonym", Buffer.from(keyedUserPseudonym(s.pseudonym, FROZEN_USER))],
    ];
    expect(findings(needles)).toEqual([]);
  });

  it("finds no searched or listed term, in any form", () => {
    const needles: [string, Buffer][] = SEARCHES.map((t) => [`search "${t}"`, Buffer.from(t)]);
    for (const t of [TERM, TERM.toUpperCase(), "Quokkaberry", "quokka"])
      needles.push([`term "${t}"`, Buffer.from(t)]);
    expect(findings(needles)).toEqual([]);
  });
});
