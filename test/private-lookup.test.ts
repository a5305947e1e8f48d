/**
 * The private lookup (LJS-4 v2) against the real lookup service (in-process, SQLite), each
 * row of docs/private-lookup.md's "who learns what" table backed here: what crosses the
 * wire (a recording proxy between guard client and provider), what the provider keeps
 * (database, logs), what a copy of the set tells, what a client past its quota gets, and
 * that hits still freeze. Plus the v2 endpoints' edges: keys, ETag, errors, rotation.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyedUserPseudonym, ljs4Hash, ljs4HashBytes } from "../src/core/hash.js";
import type { RoomId } from "../src/core/ids.js";
import { ListedSet, ListedSetBuilder } from "../src/private-lookup/listed-set.js";
import {
  createOprf,
  oprfInputFromLjs4Hash,
  type RistrettoOprf,
} from "../src/private-lookup/oprf.js";
import { StandardLookupClient } from "../src/services/guard/lookup/lookup-client.js";
import { PrivateLookupClient } from "../src/services/guard/lookup/private-lookup-client.js";
import { PrivateKeyring, parseKeySeed } from "../src/services/lookup/private-keys.js";
import { hash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  cleanRoom,
  listedRoom,
  startLookupFixture,
  syntheticRdlist,
  type LookupFixture,
} from "./support/lookup-fixture.js";
import { startRecordingProxy, type RecordingProxy } from "./support/recording-proxy.js";
import { encode32, encodeEvaluateRequest } from "../src/protocol/ljs4-v2.js";
import type { Ljs4Hash } from "../src/core/ids.js";

const room = (id: string) => id as RoomId;
const pseudo = (user: string) => keyedUserPseudonym("synthetic-private-lookup-secret-0123", user);

/** Rooms asked about but not listed: nothing about them may reach the provider. */
const CLEAN = Array.from({ length: 12 }, (_, i) => cleanRoom(100 + i));

/**
 * Byte strings that would betray `id`: the id, its SHA-256 and its LJS-4 hash as raw
 * bytes, hex (both cases), base64 and base64url at every alignment — every 4-byte window
 * of the digests, so no prefix or piece of 4 bytes or more goes unseen.
 */
function tracesOf(id: string, extra: readonly Uint8Array[] = []): Buffer[] {
  const digests = [
    hash("sha256", id, "buffer"),
    ljs4HashBytes(id),
    ...extra.map((e) => Buffer.from(e)),
  ];
  const out = [Buffer.from(id, "utf8")];
  for (const digest of digests) {
    for (let i = 0; i + 4 <= digest.length; i++) {
      const window = digest.subarray(i, i + 4);
      out.push(Buffer.from(window), Buffer.from(window.toString("hex")));
      out.push(Buffer.from(window.toString("hex").toUpperCase()));
    }
    // A base64 character depends on 6 bits: at each of the 3 alignments, take the 8
    // characters that depend on the digest's first bytes only.
    for (let shift = 0; shift < 3; shift++) {
      const b64 = Buffer.concat([Buffer.alloc(shift), digest]).toString("base64");
      const first = Math.ceil((8 * shift) / 6);
      const piece = b64.slice(first, first + 8);
      out.push(Buffer.from(piece), Buffer.from(piece.replace(/\+/g, "-").replace(/\//g, "_")));
    }
  }
  return out;
}

/** The traces of `ids` found in `haystack` (named by the id, never printed whole). */
function tracesFound(
  haystack: Buffer,
  ids: readonly string[],
  extra = new Map<string, Uint8Array[]>(),
) {
  return ids.filter((id) => tracesOf(id, extra.get(id)).some((t) => haystack.includes(t)));
}

const requestBytes = (proxy: RecordingProxy) =>
  Buffer.concat(
    proxy.requests.flatMap((r) => [Buffer.from(`${r.method} ${r.path}\n${r.headers}\n`), r.body]),
  );

/** Every byte the provider left in its folder: SQLite file, WAL, log, config. */
const providerBytes = (fixture: LookupFixture) =>
  Buffer.concat(
    readdirSync(fixture.dir)
      .filter((name) => name !== "list.json" && name !== "oprf-seed")
      .map((name) => readFileSync(join(fixture.dir, name))),
  );

/** The provider's key of a client for an epoch, rebuilt from its seed file. */
function providerKey(oprf: RistrettoOprf, fixture: LookupFixture, client: string, epoch = "e1") {
  const keys = new PrivateKeyring(
    oprf,
    { seed: parseKeySeed(readFileSync(join(fixture.dir, "oprf-seed"), "utf8").trim()), epoch },
    Date.now,
  );
  return keys.keysFor(client)[0]!.key;
}

/** y = F(k, x) as the provider can compute it for any room, with its key. */
function providerOutput(oprf: RistrettoOprf, fixture: LookupFixture, client: string, id: string) {
  return oprf.evaluate(providerKey(oprf, fixture, client), oprfInputFromLjs4Hash(ljs4Hash(id)));
}

/** A key's public element as `keys` serves it. */
const publicKeyOf = (oprf: RistrettoOprf, fixture: LookupFixture, client: string, epoch = "e1") =>
  encode32(oprf.publicKey(providerKey(oprf, fixture, client, epoch)));

/** The fields of v2 error answers these tests read. */
interface Answer {
  readonly error?: { readonly errcode: string };
}

async function post(fixture: LookupFixture, token: string, path: string, body: unknown) {
  const res = await fixture.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as Answer) };
}

/** The binary body of one evaluation. */
function evaluateBody(blindedElement: Uint8Array, userIdHash: Ljs4Hash): Buffer {
  return encodeEvaluateRequest({ blindedElement, userIdHash });
}

/** A binary evaluation request; a JSON answer is decoded, a binary one kept as bytes. */
async function postBytes(fixture: LookupFixture, token: string, path: string, body: Buffer) {
  const res = await fixture.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body,
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const json = res.headers.get("content-type")?.startsWith("application/json") === true;
  return {
    status: res.status,
    body: json ? (JSON.parse(bytes.toString()) as Answer) : undefined,
    bytes: json ? undefined : bytes,
  };
}

describe("private lookup (LJS-4 v2)", () => {
  let fixture: LookupFixture;
  let proxy: RecordingProxy;
  let oprf: RistrettoOprf;
  const clients: PrivateLookupClient[] = [];
  const client = (name: string, url = proxy.url) => {
    const c = new PrivateLookupClient({
      baseUrl: url,
      token: fixture.tokens[name]!,
      timeoutMs: 10_000,
      setRefreshMs: 60_000,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    oprf = await createOprf();
    fixture = await startLookupFixture({
      clients: [
        { name: "hs1" },
        { name: "hs2", scopes: ["directory"] },
        { name: "hs3", tags: ["spam"] },
      ],
      privateLookup: true,
    });
    proxy = await startRecordingProxy(fixture.handle.apiUrl);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await proxy.close();
    await fixture.stop();
  });

  it("a recording proxy between guard and provider sees no trace of a clean room's id, hash or output", async () => {
    const guard = client("hs2");
    const user = pseudo("@walker:example.org");
    for (const id of CLEAN.slice(0, 6)) {
      expect(await guard.lookup(room(id), user)).toEqual({ kind: "clean" });
    }
    const batch = await guard.check([...CLEAN.slice(6), room(listedRoom(2))].map(room));
    expect(batch.kind).toBe("checked");
    // A listed room is named on a hit, by its output: the provider learns it, as it should.
    expect(await guard.lookup(room(listedRoom(1)), user)).toMatchObject({ kind: "listed" });
    const outputs = new Map(
      [...CLEAN, listedRoom(1)].map((id) => [id, [providerOutput(oprf, fixture, "hs2", id)]]),
    );
    const seen = requestBytes(proxy);
    expect(proxy.requests.length).toBeGreaterThan(10);
    expect(tracesFound(seen, CLEAN, outputs)).toEqual([]);
    // The check can fail: the listed room's output does show, in its report.
    expect(tracesFound(seen, [listedRoom(1)], outputs)).toEqual([listedRoom(1)]);
    // And it does fail for v1, whose lookups carry the room's hash.
    const v1 = new StandardLookupClient({
      baseUrl: proxy.url,
      token: fixture.tokens.hs2!,
      timeoutMs: 10_000,
    });
    const before = proxy.requests.length;
    expect(await v1.lookup(room(cleanRoom(999)), user)).toEqual({ kind: "clean" });
    v1.close();
    const v1Seen = Buffer.concat(proxy.requests.slice(before).map((r) => r.body));
    expect(tracesFound(v1Seen, [cleanRoom(999)])).toEqual([cleanRoom(999)]);
  });

  it("the provider's database and logs never hold a clean room's id, hash or output", async () => {
    const guard = client("hs1");
    for (const id of CLEAN) await guard.lookup(room(id), pseudo("@quokkaberry:example.org"));
    await guard.lookup(room(listedRoom(3)), pseudo("@quokkaberry:example.org"));
    // The answer waited for the hit's transaction; the log is written synchronously.
    const outputs = new Map(CLEAN.map((id) => [id, [providerOutput(oprf, fixture, "hs1", id)]]));
    const kept = providerBytes(fixture);
    expect(kept.length).toBeGreaterThan(1000);
    expect(readFileSync(fixture.logFile, "utf8")).toContain("report-3");
    expect(tracesFound(kept, CLEAN, outputs)).toEqual([]);
  });

  it("a copy of the set tells its size and finds no listed room offline", async () => {
    const res = await fixture.request("/_matrix/loj/v2/listed_set/hs1.e1", {
      headers: { authorization: `Bearer ${fixture.tokens.hs1}` },
    });
    expect(res.status).toBe(200);
    const set = ListedSet.fromBytes(new Uint8Array(await res.arrayBuffer()));
    expect(set.ok).toBe(true);
    if (!set.ok) return;
    // Rooms 1..10 (csam) and 11 (spam): hs1 filters both.
    expect(set.value.size).toBe(11);
    const candidates = Array.from({ length: 11 }, (_, i) => listedRoom(i + 1));
    for (const id of candidates) {
      for (const guess of [
        ljs4HashBytes(id),
        hash("sha256", id, "buffer"),
        hash("sha512", id, "buffer"),
        hash("sha512", ljs4HashBytes(id), "buffer"),
      ]) {
        expect(set.value.has(guess)).toBe(false);
      }
      // With the key, the provider finds each of them: the check above can fail.
      expect(set.value.has(providerOutput(oprf, fixture, "hs1", id))).toBe(true);
    }
  });

  it("each client's set holds only the rooms its tags match, under its own key", async () => {
    const guard = client("hs3", fixture.handle.apiUrl);
    expect(await guard.lookup(room(listedRoom(11)), pseudo("@spam:example.org"))).toMatchObject({
      kind: "listed",
      listed: { reportId: "report-spam", tags: ["spam"] },
    });
    expect(await guard.lookup(room(listedRoom(1)), pseudo("@spam:example.org"))).toEqual({
      kind: "clean",
    });
    const other = await fixture.request("/_matrix/loj/v2/listed_set/hs1.e1", {
      headers: { authorization: `Bearer ${fixture.tokens.hs3}` },
    });
    expect(other.status).toBe(404);
    expect(((await other.json()) as Answer).error?.errcode).toBe("M_NOT_FOUND");
  });

  it("serves the set with an ETag and answers 304 while it is unchanged, a new ETag after a list change", async () => {
    const auth = { authorization: `Bearer ${fixture.tokens.hs1}` };
    const keys = await fixture.request("/_matrix/loj/v2/keys", { headers: auth });
    expect(await keys.json()).toEqual({
      keys: [{ key_id: "hs1.e1", public_key: publicKeyOf(oprf, fixture, "hs1"), retires_at: null }],
    });
    const first = await fixture.request("/_matrix/loj/v2/listed_set/hs1.e1", { headers: auth });
    const etag = first.headers.get("etag")!;
    expect(first.headers.get("content-type")).toBe("application/octet-stream");
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const again = await fixture.request("/_matrix/loj/v2/listed_set/hs1.e1", {
      headers: { ...auth, "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);

    writeFileSync(join(fixture.dir, "list.json"), syntheticRdlist(12));
    await fixture.handle.reload();
    let changed: Response | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const res = await fixture.request("/_matrix/loj/v2/listed_set/hs1.e1", {
        headers: { ...auth, "if-none-match": etag },
      });
      if (res.status === 200) {
        changed = res;
        break;
      }
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(changed?.headers.get("etag")).not.toBe(etag);
    const set = ListedSet.fromBytes(new Uint8Array(await changed!.arrayBuffer()));
    expect(set.ok && set.value.size).toBe(13);
  });

  it("a room listed after the guard fetched its set is found at once: evaluations name the newer set", async () => {
    const guard = client("hs1", fixture.handle.apiUrl);
    const target = room(listedRoom(14));
    expect(await guard.lookup(target, pseudo("@early:example.org"))).toEqual({ kind: "clean" });
    const fetched = guard.sets.counts.fetched;
    writeFileSync(join(fixture.dir, "list.json"), syntheticRdlist(14));
    await fixture.handle.reload();
    // The guard's refresh interval is a minute; the answer's set version triggers the fetch.
    let result = await guard.lookup(target, pseudo("@late-0:example.org"));
    for (let i = 1; result.kind === "clean" && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 50)); // the provider rebuilds in the background
      result = await guard.lookup(target, pseudo(`@late-${i}:example.org`));
    }
    expect(result).toMatchObject({ kind: "listed", listed: { reportId: "report-14" } });
    expect(guard.sets.counts.fetched).toBe(fetched + 1);
  });

  it("refuses bad input with LJS-4 errors: bad elements, unknown keys, missing tokens, no scope", async () => {
    const token = fixture.tokens.hs1!;
    const user = ljs4Hash("@edge:example.org");
    const evaluate = "/_matrix/loj/v2/evaluate/hs1.e1";
    const identity = Buffer.alloc(32, 0);
    const notCanonical = Buffer.alloc(32, 0xff);
    for (const blinded of [identity, notCanonical]) {
      const res = await postBytes(fixture, token, evaluate, evaluateBody(blinded, user));
      expect(res).toMatchObject({ status: 400, body: { error: { errcode: "M_INVALID_PARAM" } } });
    }
    const valid = oprf.blind(Buffer.alloc(32, 7)).blindedElement;
    // Too short, one byte too long, JSON where bytes belong, and nothing at all.
    const malformed = [
      Buffer.from("abc"),
      Buffer.concat([evaluateBody(valid, user), Buffer.from([0])]),
      Buffer.from(JSON.stringify({ blinded_element: encode32(valid), user_id_hash: user })),
      Buffer.alloc(0),
    ];
    for (const body of malformed) {
      const res = await postBytes(fixture, token, evaluate, body);
      expect(res.status).toBe(body.length > 64 ? 413 : 400);
      expect(res.body?.error?.errcode).toBe(body.length > 64 ? "M_TOO_LARGE" : "M_INVALID_PARAM");
    }
    const good = await postBytes(fixture, token, evaluate, evaluateBody(valid, user));
    expect(good.status).toBe(200);
    expect(good.bytes?.length).toBe(8 + 32);
    for (const unknown of ["hs1.e0", "hs2.e1", "not a key"]) {
      const res = await postBytes(
        fixture,
        token,
        `/_matrix/loj/v2/evaluate/${encodeURIComponent(unknown)}`,
        evaluateBody(valid, user),
      );
      expect(res).toMatchObject({ status: 404, body: { error: { errcode: "M_NOT_FOUND" } } });
    }
    const noBearer = await fixture.request(evaluate, {
      method: "POST",
      body: evaluateBody(valid, user),
    });
    expect(noBearer.status).toBe(401);
    const noToken = await fixture.request("/_matrix/loj/v2/keys");
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as Answer).error?.errcode).toBe("M_MISSING_TOKEN");
    const noScope = await postBytes(
      fixture,
      token,
      "/_matrix/loj/v2/evaluate_batch/hs1.e1",
      Buffer.from(valid),
    );
    expect(noScope).toMatchObject({ status: 403, body: { error: { errcode: "M_FORBIDDEN" } } });
    const notJson = await fixture.request("/_matrix/loj/v2/report", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: "{",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as Answer).error?.errcode).toBe("M_NOT_JSON");
  });

  it("freezes after 3 hits through reports, then refuses evaluations and reports of the frozen pseudonym", async () => {
    const guard = client("hs1", fixture.handle.apiUrl);
    const user = pseudo("@thrice:example.org");
    const results = [];
    for (const n of [4, 5, 6]) results.push(await guard.lookup(room(listedRoom(n)), user));
    expect(results.map((r) => r.kind === "listed" && r.frozeNow)).toEqual([false, false, true]);
    expect(await guard.lookup(room(cleanRoom(1)), user)).toEqual({ kind: "frozen" });
    const y = providerOutput(oprf, fixture, "hs1", listedRoom(7)).subarray(0, 32);
    const report = await post(fixture, fixture.tokens.hs1!, "/_matrix/loj/v2/report", {
      key_id: "hs1.e1",
      output: Buffer.from(y).toString("base64url"),
      user_id_hash: user,
    });
    expect(report).toMatchObject({
      status: 403,
      body: { error: { errcode: "LOJ_ACCOUNT_FROZEN" } },
    });
  });
});

/** A v2 guard client talking straight to the fixture's provider as `hs1`. */
const directGuard = (fixture: LookupFixture) =>
  new PrivateLookupClient({
    baseUrl: fixture.handle.apiUrl,
    token: fixture.tokens.hs1!,
    timeoutMs: 10_000,
    setRefreshMs: 60_000,
  });

/** The value of one sample of the provider's metrics (0 when absent). */
async function metricValue(fixture: LookupFixture, sample: string): Promise<number> {
  const text = await (await fetch(`${fixture.handle.operationsUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

describe("private lookup metrics", () => {
  let fixture: LookupFixture;
  beforeAll(async () => {
    fixture = await startLookupFixture({ clients: [{ name: "hs1" }], privateLookup: true });
  });
  afterAll(() => fixture.stop());

  it("count evaluations and reports by outcome, apart from v1's lookups", async () => {
    const evaluated = 'redlight_private_evaluations_total{outcome="evaluated"}';
    const matched = 'redlight_private_reports_total{outcome="match"}';
    const v1Lookups = 'redlight_lookups_total{outcome="no_match"}';
    const guard = directGuard(fixture);
    try {
      const before = await Promise.all(
        [evaluated, matched, v1Lookups].map((m) => metricValue(fixture, m)),
      );
      const user = pseudo("@counted:example.org");
      expect(await guard.lookup(room(cleanRoom(1)), user)).toEqual({ kind: "clean" });
      expect(await guard.lookup(room(listedRoom(1)), user)).toMatchObject({ kind: "listed" });
      const after = await Promise.all(
        [evaluated, matched, v1Lookups].map((m) => metricValue(fixture, m)),
      );
      expect(after).toEqual([before[0]! + 2, before[1]! + 1, before[2]]);
    } finally {
      guard.close();
    }
  });
});

describe("private lookup quotas and key rotation", () => {
  let fixture: LookupFixture;
  let oprf: RistrettoOprf;
  const retiresAt = new Date(Date.now() + 3_600_000).toISOString();
  beforeAll(async () => {
    oprf = await createOprf();
    fixture = await startLookupFixture({
      clients: [{ name: "hs1", scopes: ["directory"] }],
      privateLookup: true,
      lookup: {
        rate_limits: { user: { requests: 3, per: "1h" }, directory: { requests: 5, per: "1h" } },
        private_lookup: {
          key_seed_file: "./oprf-seed",
          epoch: "e2",
          previous_epoch: { epoch: "e1", retires_at: retiresAt },
        },
      },
    });
  });
  afterAll(() => fixture.stop());

  it("a client past its quota learns nothing more: 429 and no evaluated element", async () => {
    const guard = directGuard(fixture);
    try {
      const user = pseudo("@greedy:example.org");
      for (let n = 1; n <= 3; n++) {
        expect(await guard.lookup(room(cleanRoom(n)), user)).toEqual({ kind: "clean" });
      }
      // A listed room past the quota: no answer that could tell it from a clean one.
      expect(await guard.lookup(room(listedRoom(1)), user)).toMatchObject({ kind: "rate_limited" });
      const blinded = oprf.blind(oprfInputFromLjs4Hash(ljs4Hash(listedRoom(1)))).blindedElement;
      const raw = await postBytes(
        fixture,
        fixture.tokens.hs1!,
        "/_matrix/loj/v2/evaluate/hs1.e2",
        evaluateBody(blinded, user),
      );
      expect(raw.status).toBe(429);
      expect(raw.bytes).toBeUndefined();
      expect(raw.body?.error?.errcode).toBe("M_LIMIT_EXCEEDED");

      // Batches: every element counts against the directory quota, all or nothing.
      const rooms = Array.from({ length: 4 }, (_, i) => room(cleanRoom(20 + i)));
      expect((await guard.check(rooms)).kind).toBe("checked");
      const over = await guard.check(rooms);
      expect(over.kind).toBe("rate_limited");
    } finally {
      guard.close();
    }
  });

  it("serves the old and the new key during a rotation's overlap, newest first", async () => {
    const auth = { authorization: `Bearer ${fixture.tokens.hs1}` };
    const keys = await (await fixture.request("/_matrix/loj/v2/keys", { headers: auth })).json();
    expect(keys).toEqual({
      keys: [
        { key_id: "hs1.e2", public_key: publicKeyOf(oprf, fixture, "hs1", "e2"), retires_at: null },
        {
          key_id: "hs1.e1",
          public_key: publicKeyOf(oprf, fixture, "hs1", "e1"),
          retires_at: Date.parse(retiresAt),
        },
      ],
    });
    const sets = await Promise.all(
      ["hs1.e2", "hs1.e1"].map(async (id) => {
        const res = await fixture.request(`/_matrix/loj/v2/listed_set/${id}`, { headers: auth });
        expect(res.status).toBe(200);
        return { etag: res.headers.get("etag"), bytes: await res.arrayBuffer() };
      }),
    );
    expect(sets[0]!.etag).not.toBe(sets[1]!.etag);
    const old = ListedSet.fromBytes(new Uint8Array(sets[1]!.bytes));
    expect(old.ok && old.value.keyId).toBe("hs1.e1");
  });
});

describe("a provider serving a key whose public element is not one", () => {
  it("gets no blinded element from the guard: the lookup is unavailable and nothing is evaluated", async () => {
    const set = new ListedSetBuilder("hs1.e1", 0).build();
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      if (req.url === "/_matrix/loj/v2/keys") {
        res.setHeader("content-type", "application/json");
        const publicKey = encode32(Buffer.alloc(32)); // the identity
        res.end(JSON.stringify({ keys: [{ key_id: "hs1.e1", public_key: publicKey }] }));
        return;
      }
      if (req.url === "/_matrix/loj/v2/listed_set/hs1.e1") {
        res.setHeader("etag", set.etag());
        res.end(set.toBytes());
        return;
      }
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const guard = new PrivateLookupClient({
      baseUrl: `http://127.0.0.1:${port}`,
      token: "synthetic-token",
      timeoutMs: 10_000,
      setRefreshMs: 60_000,
    });
    try {
      const result = await guard.lookup(room(cleanRoom(1)), pseudo("@someone:example.org"));
      expect(result).toMatchObject({ kind: "unavailable" });
      expect(asked.filter((line) => line.includes("evaluate"))).toEqual([]);
      expect(asked).toContain("GET /_matrix/loj/v2/keys");
    } finally {
      guard.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
