/**
 * Enumeration: a whitelisted but malicious client probes many room hashes while
 * rotating made-up user pseudonyms, so no pseudonym ever reaches a freeze. What stops it is
 * its per-client quota: it learns at most `rate_limits.client.requests` listed entries per
 * window, however it spreads its probes, and the provider sees the attempt (metric, log
 * line, audit trail).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { openStorage } from "../src/storage/open.js";
import {
  cleanRoom,
  listedRoom,
  readLog,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";

let fx: LookupFixture | undefined;
afterEach(async () => {
  await fx?.stop();
  fx = undefined;
});

const LISTED = 600;

async function prober(quota: number): Promise<LookupFixture> {
  return startLookupFixture({
    rooms: LISTED,
    clients: [{ name: "prober", scopes: ["directory"] }, { name: "bystander" }],
    lookup: { rate_limits: { client: { requests: quota, per: "1m" } } },
  });
}

/** Probes `candidates` one lookup each, a fresh made-up pseudonym every time. */
async function probe(f: LookupFixture, candidates: readonly string[]) {
  const learned = new Set<string>();
  const statuses = new Map<number, number>();
  let n = 0;
  for (const room of candidates) {
    const r = await f.lookup(f.tokens.prober, room, `@made-up-${n++}:example.org`);
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    if (r.status === 200) learned.add(((await r.json()) as { report_id: string }).report_id);
    else await r.arrayBuffer();
  }
  return { learned, statuses };
}

async function refusals(f: LookupFixture): Promise<number> {
  const text = await (await fetch(`${f.handle.operationsUrl}/metrics`)).text();
  const m = /redlight_quota_refusals_total\{quota="client",client="prober"\} (\d+)/.exec(text);
  return Number(m?.[1] ?? 0);
}

describe("an enumerating client", () => {
  it.each([25, 100])(
    "learns at most its quota (%i a minute) of entries, even when every guess is a listed room",
    async (quota) => {
      fx = await prober(quota);
      const candidates = Array.from({ length: 300 }, (_, i) => listedRoom(i + 1));
      const { learned, statuses } = await probe(fx, candidates);
      console.log(`enumeration, quota ${quota}: learned ${learned.size} of 300 probed entries`);
      expect(learned.size).toBe(quota);
      expect(statuses.get(429)).toBe(300 - quota);
      expect(statuses.get(403) ?? 0).toBe(0); // made-up pseudonyms dodge every freeze...
      expect(await refusals(fx)).toBe(300 - quota); // ...but the quota stops them, visibly
      // One warning per window, naming the client: visible, not a log flood.
      const warnings = readLog(fx)
        .split("\n")
        .filter((l) => l.includes('"quota exceeded"') && l.includes('"client":"prober"'));
      expect(warnings).toHaveLength(1);
      // The provider's audit trail shows one hit per learned entry, by this client.
      const storage = await openStorage(fx.config.database);
      const hits = (await storage.listAudit(1000)).filter(
        (e) => e.kind === "hit" && e.client === "prober",
      );
      await storage.close();
      expect(hits).toHaveLength(quota);
    },
  );

  it("learns about quota × (listed share) with a realistic candidate set", async () => {
    fx = await prober(100);
    // One candidate in ten is listed, as when probing a crawl of public rooms.
    const candidates = Array.from({ length: 400 }, (_, i) =>
      i % 10 === 0 ? listedRoom(i / 10 + 1) : cleanRoom(i),
    );
    const { learned } = await probe(fx, candidates);
    console.log(`enumeration, quota 100, 1 in 10 listed: learned ${learned.size}`);
    expect(learned.size).toBe(10);
  });

  it("gains nothing from the batch check: every hash in it counts against the quota", async () => {
    fx = await prober(150);
    const learned = new Set<string>();
    let refused = 0;
    for (let batch = 0; batch < 5; batch++) {
      const hashes = Array.from({ length: 100 }, (_, i) =>
        ljs4Hash(listedRoom(batch * 100 + i + 1)),
      );
      const r = await fx.request("/_matrix/loj/v1/check", {
        method: "POST",
        headers: { authorization: `Bearer ${fx.tokens.prober}` },
        body: JSON.stringify({ room_id_hashes: hashes }),
      });
      if (r.status === 429) refused++;
      const body = (await r.json()) as { listed?: Record<string, { report_id: string }> };
      for (const m of Object.values(body.listed ?? {})) learned.add(m.report_id);
    }
    console.log(`enumeration by batch check, quota 150: learned ${learned.size}`);
    expect(learned.size).toBeLessThanOrEqual(150);
    expect(refused).toBe(4);
    expect(await refusals(fx)).toBe(4);
  });

  it("does not use up other clients' quotas", async () => {
    fx = await prober(10);
    await probe(
      fx,
      Array.from({ length: 20 }, (_, i) => listedRoom(i + 1)),
    );
    const r = await fx.lookup(fx.tokens.bystander, listedRoom(1), "@honest:example.org");
    expect(r.status).toBe(200);
  });
});
