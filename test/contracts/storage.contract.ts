/**
 * The storage contract: one suite, run against every Storage implementation
 * (sqlite.test.ts, test/postgres-storage.test.ts) so they cannot drift apart.
 */
import { describe, expect, it, beforeEach, afterEach } from "vitest";
import type { FreezeRule } from "../../src/core/freeze.js";
import type { Storage, NewClient } from "../../src/storage/storage.js";
import { quotaTotalKey } from "../../src/storage/storage.js";

const RULE: FreezeRule = { threshold: 3, windowMs: 60_000, repeatGraceMs: 10_000 };
const USER = "a".repeat(64);
const client = (name: string): NewClient => ({
  name,
  tokenHash: `hash-of-${name}`,
  tags: null,
  allowIps: [],
  scopes: [],
});

/** Registers the contract suite for one implementation; `open` gives a fresh, empty store. */
export function describeStorageContract(name: string, open: () => Promise<Storage>): void {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open();
    });
    afterEach(async () => {
      await storage.close();
    });

    it("adds, lists, rotates and revokes clients, auditing each change", async () => {
      expect(
        await storage.addClient(
          { ...client("hs1"), tags: ["csam"], allowIps: ["10.0.0.0/8"], scopes: ["directory"] },
          1000,
        ),
      ).toBe("added");
      expect(await storage.addClient(client("hs1"), 1001)).toBe("exists");
      const [listed] = await storage.listClients();
      expect(listed).toMatchObject({
        name: "hs1",
        tokenHash: "hash-of-hs1",
        tags: ["csam"],
        allowIps: ["10.0.0.0/8"],
        scopes: ["directory"],
        createdAt: 1000,
        revokedAt: null,
      });
      expect(await storage.rotateToken("hs1", "new-hash", 2000)).toBe(true);
      expect(await storage.rotateToken("nobody", "x", 2000)).toBe(false);
      expect((await storage.listClients())[0]).toMatchObject({
        tokenHash: "new-hash",
        updatedAt: 2000,
      });
      expect(await storage.revokeClient("hs1", 3000)).toBe(true);
      expect(await storage.revokeClient("hs1", 3001)).toBe(false);
      expect(await storage.rotateToken("hs1", "again", 3002)).toBe(false);
      expect((await storage.listClients())[0]).toMatchObject({ revokedAt: 3000 });
      const kinds = (await storage.listAudit(10)).map((e) => e.kind);
      expect(kinds).toEqual(["client_revoked", "client_rotated", "client_added"]);
    });

    it("freezes on the third distinct hit in the window and not before", async () => {
      await storage.addClient(client("hs1"), 0);
      const hit = (reportId: string, at: number) =>
        storage.recordHit({ client: "hs1", userPseudonym: USER, reportId, at }, RULE);
      expect(await hit("r1", 100_000)).toEqual({ counted: true, hitsInWindow: 1, frozeNow: false });
      expect(await hit("r1", 105_000)).toEqual({
        counted: false,
        hitsInWindow: 1,
        frozeNow: false,
      });
      expect(await hit("r2", 120_000)).toEqual({ counted: true, hitsInWindow: 2, frozeNow: false });
      expect(await storage.isFrozen("hs1", USER)).toBe(false);
      expect(await hit("r3", 130_000)).toEqual({ counted: true, hitsInWindow: 3, frozeNow: true });
      expect(await storage.isFrozen("hs1", USER)).toBe(true);
      expect(await storage.isFrozen("hs2", USER)).toBe(false);
      expect((await hit("r4", 131_000)).frozeNow).toBe(false);
      expect(await storage.listFreezes()).toEqual([
        { client: "hs1", userPseudonym: USER, frozenAt: 130_000, hits: 3 },
      ]);
      expect(await storage.listFreezes("hs2")).toEqual([]);
    });

    it("audits each hit and each new freeze, and only those", async () => {
      await storage.addClient(client("hs1"), 0);
      for (const [i, r] of ["r1", "r2", "r3", "r4"].entries()) {
        await storage.recordHit(
          { client: "hs1", userPseudonym: USER, reportId: r, at: 1000 + i * 1000 },
          RULE,
        );
      }
      const events = (await storage.listAudit(50))
        .filter((e) => e.kind !== "client_added")
        .map((e) => [e.kind, e.at, e.client, e.subject, e.detail]);
      // Records of one time come in id order (random): compare as a set.
      const byKindAndTime = (a: unknown[], b: unknown[]) => String(a).localeCompare(String(b));
      expect(events.sort(byKindAndTime)).toEqual(
        [
          ["hit", 4000, "hs1", USER, { report_id: "r4", counted: true }],
          ["hit", 3000, "hs1", USER, { report_id: "r3", counted: true }],
          ["freeze", 3000, "hs1", USER, { hits: 3 }],
          ["hit", 2000, "hs1", USER, { report_id: "r2", counted: true }],
          ["hit", 1000, "hs1", USER, { report_id: "r1", counted: true }],
        ].sort(byKindAndTime),
      );
    });

    it("keeps names and report ids verbatim, quotes and backslashes included", async () => {
      const name = `hs'1\\"; DROP TABLE hits; --`;
      const reportId = `r'); DELETE FROM freezes; --\\'`;
      await storage.addClient(client(name), 0);
      for (let i = 0; i < 3; i++) {
        await storage.recordHit(
          { client: name, userPseudonym: USER, reportId: `${reportId}${i}`, at: 1000 + i },
          RULE,
        );
      }
      expect(await storage.listFreezes(name)).toEqual([
        { client: name, userPseudonym: USER, frozenAt: 1002, hits: 3 },
      ]);
      const hits = (await storage.listAudit(10)).filter((e) => e.kind === "hit");
      expect(hits.map((e) => e.detail?.report_id).sort()).toEqual(
        [0, 1, 2].map((i) => `${reportId}${i}`),
      );
    });

    it("freezes exactly once when hits for one user arrive at the same time", async () => {
      await storage.addClient(client("hs1"), 0);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          storage.recordHit(
            { client: "hs1", userPseudonym: USER, reportId: `r${i}`, at: 1000 },
            RULE,
          ),
        ),
      );
      // Serialised per user: every hit saw all that committed before it.
      expect(outcomes.map((o) => o.hitsInWindow).sort((a, b) => a - b)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
      expect(outcomes.filter((o) => o.frozeNow)).toHaveLength(1);
      expect(await storage.listFreezes("hs1")).toHaveLength(1);
    });

    it("lets old hits fall out of the window", async () => {
      await storage.addClient(client("hs1"), 0);
      const hit = (reportId: string, at: number) =>
        storage.recordHit({ client: "hs1", userPseudonym: USER, reportId, at }, RULE);
      await hit("r1", 0);
      await hit("r2", 30_000);
      expect(await hit("r3", 70_000)).toMatchObject({ hitsInWindow: 2, frozeNow: false });
    });

    it("unfreezes, forgets the hits that led there and audits who did it", async () => {
      await storage.addClient(client("hs1"), 0);
      for (const [i, r] of ["r1", "r2", "r3"].entries()) {
        await storage.recordHit(
          { client: "hs1", userPseudonym: USER, reportId: r, at: 1000 + i * 20_000 },
          RULE,
        );
      }
      expect(await storage.unfreeze("hs1", USER, "cli", 50_000)).toBe(true);
      expect(await storage.unfreeze("hs1", USER, "cli", 50_001)).toBe(false);
      expect(await storage.isFrozen("hs1", USER)).toBe(false);
      const next = await storage.recordHit(
        { client: "hs1", userPseudonym: USER, reportId: "r4", at: 55_000 },
        RULE,
      );
      expect(next).toMatchObject({ hitsInWindow: 1, frozeNow: false });
      const unfreeze = (await storage.listAudit(50)).find((e) => e.kind === "unfreeze");
      expect(unfreeze).toMatchObject({ client: "hs1", subject: USER, detail: { actor: "cli" } });
    });

    it("audits batch checks with counts only, and an enumeration suspicion as its own event", async () => {
      await storage.recordCheck({ client: "hs1", at: 5000, hashes: 100, listed: 90 });
      await storage.recordCheck({
        client: "hs1",
        at: 6000,
        hashes: 50,
        listed: 45,
        suspected: {
          reasons: ["listed_share"],
          window: { hashes: 150, listed: 135, new_hashes: 150, new_listed: 135 },
        },
      });
      const events = (await storage.listAudit(10)).map(({ at, kind, client, subject, detail }) => ({
        at,
        kind,
        client,
        subject,
        detail,
      }));
      expect(events).toEqual(
        expect.arrayContaining([
          {
            at: 5000,
            kind: "check",
            client: "hs1",
            subject: null,
            detail: { hashes: 100, listed: 90 },
          },
          {
            at: 6000,
            kind: "check",
            client: "hs1",
            subject: null,
            detail: { hashes: 50, listed: 45 },
          },
          {
            at: 6000,
            kind: "enumeration_suspected",
            client: "hs1",
            subject: null,
            detail: {
              reasons: ["listed_share"],
              window: { hashes: 150, listed: 135, new_hashes: 150, new_listed: 135 },
            },
          },
        ]),
      );
      expect(events).toHaveLength(3);
      expect(await storage.prune(7000, 0)).toBe(3);
    });

    it("adds up quota counts per key and window", async () => {
      const first = await storage.addQuotaCounts([
        { key: "client:hs1", windowStart: 60_000, delta: 5 },
        { key: "user:x", windowStart: 60_000, delta: 2 },
      ]);
      expect(first.get(quotaTotalKey("client:hs1", 60_000))).toBe(5);
      const second = await storage.addQuotaCounts([
        { key: "client:hs1", windowStart: 60_000, delta: 3 },
      ]);
      expect(second.get(quotaTotalKey("client:hs1", 60_000))).toBe(8);
      const other = await storage.addQuotaCounts([
        { key: "client:hs1", windowStart: 120_000, delta: 1 },
      ]);
      expect(other.get(quotaTotalKey("client:hs1", 120_000))).toBe(1);
      expect((await storage.addQuotaCounts([])).size).toBe(0);
      expect(await storage.busyQuotaCounts("client:", 6, 60_000)).toEqual([
        { key: "client:hs1", windowStart: 60_000, count: 8 },
      ]);
      expect(await storage.busyQuotaCounts("client:", 9, 60_000)).toEqual([]);
      expect(await storage.busyQuotaCounts("user:", 1, 0)).toEqual([
        { key: "user:x", windowStart: 60_000, count: 2 },
      ]);
      expect(await storage.busyQuotaCounts("client:", 1, 100_000)).toEqual([
        { key: "client:hs1", windowStart: 120_000, count: 1 },
      ]);
    });

    it("prunes records older than the cutoff and keeps freezes", async () => {
      await storage.addClient(client("hs1"), 0);
      for (const [i, r] of ["r1", "r2", "r3"].entries()) {
        await storage.recordHit(
          { client: "hs1", userPseudonym: USER, reportId: r, at: 1000 + i },
          RULE,
        );
      }
      await storage.addQuotaCounts([{ key: "k", windowStart: 0, delta: 1 }]);
      expect(await storage.prune(500_000, 500_000)).toBeGreaterThan(0);
      expect(await storage.listAudit(10)).toEqual([]);
      expect(await storage.isFrozen("hs1", USER)).toBe(true);
      await storage.ping();
    });

    it("keeps the review queue: pending, then accepted or rejected once, audited without the room", async () => {
      const report = (ref: string, at: number) => ({
        ref,
        client: "hs1",
        sealedRoom: `sealed-room-${ref}`,
        sealedReason: `sealed-reason-${ref}`,
        tags: ["csam"],
        createdAt: at,
      });
      await storage.addReviewReport(report("rr-b", 2000));
      await storage.addReviewReport(report("rr-a", 1000));
      expect((await storage.listReviewReports()).map((r) => r.ref)).toEqual(["rr-a", "rr-b"]);
      expect(await storage.getReviewReport("rr-a")).toEqual({
        ...report("rr-a", 1000),
        state: "pending",
        acceptedTags: null,
        decidedAt: null,
      });
      expect(await storage.getReviewReport("missing")).toBeUndefined();
      expect(await storage.decideReviewReport("rr-a", "accepted", ["csam", "spam"], 3000)).toBe(
        true,
      );
      expect(await storage.decideReviewReport("rr-a", "rejected", null, 3001)).toBe(false);
      expect(await storage.decideReviewReport("missing", "rejected", null, 3001)).toBe(false);
      expect(await storage.decideReviewReport("rr-b", "rejected", null, 4000)).toBe(true);
      expect(await storage.getReviewReport("rr-a")).toMatchObject({
        state: "accepted",
        acceptedTags: ["csam", "spam"],
        decidedAt: 3000,
      });
      expect((await storage.listReviewReports("rejected")).map((r) => r.ref)).toEqual(["rr-b"]);
      expect(await storage.listReviewReports("pending")).toEqual([]);
      const audit = await storage.listAudit(10);
      expect(audit.map((e) => e.kind)).toEqual([
        "report_decided",
        "report_decided",
        "report_received",
        "report_received",
      ]);
      expect(JSON.stringify(audit)).not.toContain("sealed-");
    });
  });
}
