/**
 * Faults of the list source: an HTTP source that fails in every way we could
 * think of — 5xx, 401, garbage, truncated or tampered ciphertext, JSON of the wrong shape,
 * an empty list, a connection reset, a server that never answers — and a file source that
 * vanishes. Each time the last good list stays in service, lookups go on answering, the
 * failure is counted and logged without list content, and a good list is picked up again.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { encryptList, generateListKey, parseListKey } from "../src/list/encryption.js";
import {
  cleanRoom,
  listedRoom,
  readLog,
  startLookupFixture,
  syntheticRdlist,
  type LookupFixture,
} from "./support/lookup-fixture.js";

const BEARER = "list-source-bearer-0123456789";
let dir: string;
let key: Buffer;
let listServer: Server;
let fx: LookupFixture;
let mode = "good";
let rooms = 20;
let requestsSeen: { authorization?: string; ifNoneMatch?: string }[] = [];

/** The list server's answer in each mode. */
function answer(res: ServerResponse): void {
  const good = encryptList(Buffer.from(syntheticRdlist(rooms)), key);
  const send = (status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
    res.writeHead(status, headers).end(body);
  };
  switch (mode) {
    case "good":
      return send(200, good, { etag: `"v${rooms}"` });
    case "500":
      return send(500, "internal error");
    case "401":
      return send(401, "");
    case "garbage":
      return send(200, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)));
    case "truncated":
      return send(200, good.subarray(0, Math.floor(good.length / 2)));
    case "tampered": {
      const bad = Buffer.from(good);
      bad[bad.length - 40] = (bad[bad.length - 40] ?? 0) ^ 1;
      return send(200, bad);
    }
    case "plain": // the right list, but not encrypted where a key is configured
      return send(200, syntheticRdlist(rooms));
    case "wrong-shape":
      return send(200, encryptList(Buffer.from('{"reports": []}'), key));
    case "empty":
      return send(200, encryptList(Buffer.from("[]"), key));
    case "reset":
      res.socket?.destroy();
      return;
    case "hang":
      return; // never answers (until the server closes its connections)
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-list-faults-"));
  const keyText = generateListKey();
  writeFileSync(join(dir, "list.key"), keyText);
  writeFileSync(join(dir, "list.token"), BEARER);
  const parsed = parseListKey(keyText);
  if (!parsed.ok) throw new Error(parsed.error);
  key = parsed.value;
  listServer = createServer((req, res) => {
    requestsSeen.push({
      ...(req.headers.authorization === undefined
        ? {}
        : { authorization: req.headers.authorization }),
      ...(req.headers["if-none-match"] === undefined
        ? {}
        : { ifNoneMatch: req.headers["if-none-match"] }),
    });
    if (mode === "good" && req.headers["if-none-match"] === `"v${rooms}"`) res.writeHead(304).end();
    else answer(res);
  });
  await new Promise<void>((r) => listServer.listen(0, "127.0.0.1", r));
  const port = (listServer.address() as { port: number }).port;
  fx = await startLookupFixture({
    rooms: 5,
    lookup: {
      sources: [
        {
          url: `http://127.0.0.1:${port}/list.enc`,
          bearer_token_file: join(dir, "list.token"),
          encryption_key_file: join(dir, "list.key"),
          refresh: "1h",
        },
      ],
    },
  });
});
afterAll(async () => {
  await fx?.stop();
  listServer.closeAllConnections();
  await new Promise((r) => listServer.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function failures(): Promise<number> {
  const text = await (await fetch(`${fx.handle.operationsUrl}/metrics`)).text();
  return Number(/^redlight_list_reload_failures_total (\d+)/m.exec(text)?.[1] ?? "NaN");
}

async function expectServing(entries: number, user: string): Promise<void> {
  const t = fx.tokens.hs1 as string;
  expect((await fx.lookup(t, listedRoom(entries - 1), user)).status).toBe(200);
  expect((await fx.lookup(t, cleanRoom(1), user)).status).toBe(204);
  expect((await fx.request("/ready")).status).toBe(200);
}

describe("an HTTP list source that fails", () => {
  const faults = [
    "500",
    "401",
    "garbage",
    "truncated",
    "tampered",
    "plain",
    "wrong-shape",
    "empty",
    "reset",
  ];

  it("loaded the good list at start, with the bearer token", async () => {
    expect(requestsSeen[0]?.authorization).toBe(`Bearer ${BEARER}`);
    expect(await fx.handle.reload()).toEqual({ entries: 21 });
    await expectServing(21, "@u0:example.org");
  });

  it.each(faults)("keeps the last good list when the source answers %s", async (fault) => {
    const before = await failures();
    mode = fault;
    expect(await fx.handle.reload()).toEqual({ entries: 21 });
    expect(await failures()).toBe(before + 1);
    await expectServing(21, `@u-${fault}:example.org`);
  });

  it("never makes a lookup wait for a reload, even one that hangs", async () => {
    mode = "hang";
    const reloading = fx.handle.reload();
    for (let i = 0; i < 20; i++) {
      const t0 = Date.now();
      const r = await fx.lookup(fx.tokens.hs1, listedRoom(i + 1), `@hang-${i}:example.org`);
      expect(r.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(500);
    }
    listServer.closeAllConnections(); // the reload fails now, and keeps the list
    expect(await reloading).toEqual({ entries: 21 });
  });

  it("takes a good list again, then asks with If-None-Match", async () => {
    mode = "good";
    rooms = 30;
    expect(await fx.handle.reload()).toEqual({ entries: 31 });
    await expectServing(31, "@u-back:example.org");
    requestsSeen = [];
    expect(await fx.handle.reload()).toEqual({ entries: 31 });
    expect(requestsSeen[0]?.ifNoneMatch).toBe('"v30"');
  });

  it("logged every failure without list content, token or key", async () => {
    const log = readLog(fx);
    expect(log.match(/list source failed/g)?.length).toBeGreaterThanOrEqual(faults.length + 1);
    for (let n = 1; n <= 31; n++) {
      expect(log).not.toContain(listedRoom(n));
      expect(log).not.toContain(ljs4Hash(listedRoom(n)));
    }
    expect(log).not.toContain(BEARER);
    expect(log).not.toContain(key.toString("hex"));
  });
});

describe("a file list source that vanishes", () => {
  it("keeps the last good list when the file is deleted or replaced by a folder", async () => {
    const f = await startLookupFixture({ rooms: 8 });
    try {
      rmSync(join(f.dir, "list.json"));
      expect(await f.handle.reload()).toEqual({ entries: 9 });
      const { mkdirSync } = await import("node:fs");
      mkdirSync(join(f.dir, "list.json"));
      expect(await f.handle.reload()).toEqual({ entries: 9 });
      expect((await f.lookup(f.tokens.hs1, listedRoom(8), "@v:example.org")).status).toBe(200);
      expect(readLog(f)).toMatch(/cannot read the list file: ENOENT/);
      expect(readLog(f)).toMatch(/cannot read the list file: EISDIR/);
    } finally {
      await f.stop();
    }
  });
});
