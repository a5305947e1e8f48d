/**
 * SIGTERM drains in-flight requests: a real `redlight lookup` process gets
 * SIGTERM while 20 requests are half sent; each is completed afterwards and answered
 * properly, hits are recorded, new connections are refused, and the process exits 0.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { cleanRoom, listedRoom, syntheticRdlist } from "./support/lookup-fixture.js";
import { addClients, spawnLookup, writeLookupConfig } from "./support/lookup-process.js";
import { rawRequest, requestBytes } from "./support/raw-http.js";

let dir: string;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-drain-"));
  writeLookupConfig({ dir, database: "sqlite:./redlight.db", list: syntheticRdlist(30) });
  token = (await addClients("sqlite:./redlight.db", dir, [{ name: "hs1" }])).hs1 as string;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("completes every in-flight request after SIGTERM, then exits 0", async () => {
  const lookup = await spawnLookup(dir);
  const inFlight = Array.from({ length: 20 }, (_, i) => {
    const room = i % 2 === 0 ? listedRoom(i + 1) : cleanRoom(i);
    const body = Buffer.from(
      JSON.stringify({
        room_id_hash: ljs4Hash(room),
        user_id_hash: ljs4Hash(`@draining-${i}:example.org`),
      }),
    );
    const head = requestBytes(
      "PUT",
      "/_matrix/loj/v1/abuse_lookup",
      [
        ["host", "x"],
        ["authorization", `Bearer ${token}`],
        ["content-length", String(body.length)],
      ],
      body.subarray(0, 20),
    );
    // The rest of the body arrives 800 ms later, well after the SIGTERM.
    return rawRequest(lookup.apiUrl, head, {
      trickle: { pieces: [body.subarray(20)], delayMs: 800 },
      timeoutMs: 10_000,
    });
  });
  await new Promise((r) => setTimeout(r, 300));
  lookup.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 200));
  // No new connection is taken once draining has begun.
  const late = await fetch(`${lookup.apiUrl}/health`).then(
    (r) => r.status,
    () => "refused",
  );
  expect([503, "refused"]).toContain(late);

  const answers = await Promise.all(inFlight);
  answers.forEach((a, i) => expect(a.status).toBe(i % 2 === 0 ? 200 : 204));
  expect(await lookup.exited).toBe(0);
  expect(lookup.log()).toMatch(/shutting down: draining in-flight requests/);
  expect(lookup.log()).toMatch(/lookup service stopped/);

  const db = new Database(join(dir, "redlight.db"), { readonly: true });
  const hits = db.prepare("SELECT count(*) FROM hits").pluck().get();
  db.close();
  expect(hits).toBe(10);
}, 30_000);
