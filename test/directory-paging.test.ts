/**
 * Paging tokens through the directory proxy: a whole guard in front of a stand-in
 * Synapse whose `next_batch` and `prev_batch` are Synapse's own (unpadded base64 msgpack
 * naming the room at the page boundary). Walking the directory page by page, forwards and
 * backwards, on the client and federation paths, with `limit` 1, 2 and 3, no token the
 * requester receives names a hidden room in any decoding, and the walk still shows every
 * shown room exactly once (federation: see docs/directory.md for the page the filter
 * empties). Synthetic ids only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomsNamedBy, synapseToken } from "./support/paging-tokens.js";
import { startGuardWorld, type GuardWorld } from "./support/guard-world.js";
import { clean, termRoom } from "./support/synapse-stand-in.js";

const CLIENT = "/_matrix/client/v3/publicRooms";
const FEDERATION = "/_matrix/federation/v1/publicRooms";
type Api = "client" | "federation";
type Method = "GET" | "POST";

let dir: string;
let world: GuardWorld;
let hidden: string[];
const shown = Array.from({ length: 24 }, (_, i) => clean(i + 1));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-paging-"));
  world = await startGuardWorld({ dir });
  hidden = [...world.listedRooms, ...Array.from({ length: 6 }, (_, i) => termRoom(i + 1))];
}, 60_000);

afterAll(async () => {
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Page {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function page(api: Api, method: Method, limit: number, since?: string): Promise<Page> {
  const path = api === "client" ? CLIENT : FEDERATION;
  const query = `limit=${limit}${since === undefined ? "" : `&since=${encodeURIComponent(since)}`}`;
  const res =
    method === "GET"
      ? await fetch(`${world.guard.clientProxyUrl}${path}?${query}`)
      : await fetch(`${world.guard.clientProxyUrl}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ limit, ...(since === undefined ? {} : { since }) }),
        });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const ids = (p: Page) => (p.body["chunk"] as { room_id: string }[]).map((e) => e.room_id);
const token = (p: Page, key: "next_batch" | "prev_batch") => {
  const value = p.body[key];
  return typeof value === "string" ? value : undefined;
};

/** Walks forwards to the end, then backwards from the last page to the start. */
async function walk(api: Api, method: Method, limit: number) {
  const tokens: string[] = [];
  const keep = (p: Page) => {
    expect(p.status).toBe(200);
    for (const key of ["next_batch", "prev_batch"] as const) {
      const t = token(p, key);
      if (t !== undefined) tokens.push(t);
    }
    return p;
  };
  const forwards: string[][] = [];
  let last = keep(await page(api, method, limit));
  forwards.push(ids(last));
  for (let i = 0; token(last, "next_batch") !== undefined; i++) {
    if (i > 100) throw new Error("more than 100 pages");
    last = keep(await page(api, method, limit, token(last, "next_batch")));
    forwards.push(ids(last));
  }
  const backwards: string[][] = [ids(last)];
  let at = last;
  for (let i = 0; token(at, "prev_batch") !== undefined; i++) {
    if (i > 100) throw new Error("more than 100 pages");
    at = keep(await page(api, method, limit, token(at, "prev_batch")));
    backwards.unshift(ids(at));
  }
  return { forwards: forwards.flat(), backwards: backwards.flat(), tokens };
}

describe("paging through the directory proxy", () => {
  for (const api of ["client", "federation"] as const) {
    for (const method of ["GET", "POST"] as const) {
      for (const limit of [1, 2, 3]) {
        it(`hands out no token naming a hidden room: ${api} ${method} limit=${limit}, forwards and backwards`, async () => {
          const { forwards, backwards, tokens } = await walk(api, method, limit);
          expect(tokens.length).toBeGreaterThan(0);
          for (const t of tokens) expect([t, roomsNamedBy(t, hidden)]).toEqual([t, []]);
          for (const walked of [forwards, backwards]) {
            expect(walked.filter((r) => hidden.includes(r))).toEqual([]);
            expect(new Set(walked).size).toBe(walked.length);
          }
          // A client walk is complete both ways; so is a federation walk whose pages are
          // never emptied by the filter (two hidden rooms follow each other here).
          if (api === "client" || limit > 2) {
            expect(forwards).toEqual(shown);
            expect(backwards).toEqual(shown);
          }
        });
      }
    }
  }

  it("answers a since it did not issue with 400 M_INVALID_PARAM, before Synapse sees it", async () => {
    const before = world.hs.received.length;
    const synapses = synapseToken(1, clean(3), true);
    const bad = [["client", synapses] as const, ["client", "p10"] as const];
    for (const [api, since] of [
      ...bad,
      ["federation", "p10"] as const,
      ["federation", "%%"] as const,
    ]) {
      for (const method of ["GET", "POST"] as const) {
        const answer = await page(api, method, 2, since);
        expect([api, since, method, answer]).toEqual([
          api,
          since,
          method,
          {
            status: 400,
            body: { errcode: "M_INVALID_PARAM", error: "Unknown or expired since token" },
          },
        ]);
      }
    }
    expect(world.hs.received.length).toBe(before);
    // Straight to the stand-in, a garbage token is Synapse's unguarded 500.
    const direct = await fetch(`${world.hs.url}${CLIENT}?since=p10`);
    expect(direct.status).toBe(500);
  });

  it("keeps a client token valid for the server it was issued for only", async () => {
    const local = await page("client", "GET", 1);
    const next = token(local, "next_batch")!;
    const elsewhere = await fetch(
      `${world.guard.clientProxyUrl}${CLIENT}?server=remote.example&since=${encodeURIComponent(next)}`,
    );
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.json()).toMatchObject({ errcode: "M_INVALID_PARAM" });
  });
});
