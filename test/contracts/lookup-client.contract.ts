/**
 * What every LookupClient must do, run against the fake (test/doubles/guard-fakes.ts) and
 * against the real lookup service through StandardLookupClient, so the fake the gates'
 * unit tests rely on cannot drift from the service: answers, the freeze rule, the
 * non-counting batch check, unfreezing, and the `directory` scope.
 */
import { describe, expect, it } from "vitest";
import { keyedUserPseudonym } from "../../src/core/hash.js";
import type { RoomId } from "../../src/core/ids.js";
import type { LookupClient } from "../../src/services/guard/lookup/lookup-client.js";

/** The rooms and clients a contract run needs. */
export interface LookupClientWorld {
  /** A client holding the `directory` scope (batch check). */
  readonly directory: LookupClient;
  /** A client without it. */
  readonly plain: LookupClient;
  /** Listed room n (report `report-n`, tag `csam`), n = 1..8. */
  readonly listed: (n: number) => RoomId;
  /** A room that is not listed. */
  readonly clean: (n: number) => RoomId;
}

const pseudo = (user: string) =>
  keyedUserPseudonym("synthetic-secret-for-contracts-0123456789", user);

/** Registers the contract's tests for the world `setup` returns (called in beforeAll). */
export function lookupClientContract(name: string, world: () => LookupClientWorld): void {
  describe(`LookupClient contract: ${name}`, () => {
    it("answers clean for a room that is not listed", async () => {
      const { plain, clean } = world();
      expect(await plain.lookup(clean(1), pseudo("@a:example.org"))).toEqual({ kind: "clean" });
    });

    it("answers listed with report id and tags, freezes on the third distinct hit, then answers frozen", async () => {
      const { plain, listed, clean } = world();
      const user = pseudo("@b:example.org");
      expect(await plain.lookup(listed(1), user)).toEqual({
        kind: "listed",
        listed: { reportId: "report-1", tags: ["csam"] },
        frozeNow: false,
      });
      // A quick repeat of the same report counts once (the freeze rule's repeat grace).
      expect(await plain.lookup(listed(1), user)).toMatchObject({
        kind: "listed",
        frozeNow: false,
      });
      expect(await plain.lookup(listed(2), user)).toMatchObject({
        kind: "listed",
        frozeNow: false,
      });
      expect(await plain.lookup(listed(3), user)).toMatchObject({ kind: "listed", frozeNow: true });
      expect(await plain.lookup(clean(1), user)).toEqual({ kind: "frozen" });
    });

    it("unfreezes: true when a freeze was lifted, false when there was none; then answers again", async () => {
      const { plain, listed, clean } = world();
      const user = pseudo("@c:example.org");
      for (const n of [4, 5, 6]) await plain.lookup(listed(n), user);
      expect(await plain.lookup(clean(2), user)).toEqual({ kind: "frozen" });
      expect(await plain.unfreeze(user)).toEqual({ ok: true, value: true });
      expect(await plain.unfreeze(user)).toEqual({ ok: true, value: false });
      expect(await plain.lookup(clean(2), user)).toEqual({ kind: "clean" });
    });

    it("checks a batch without counting toward any freeze, with the directory scope only", async () => {
      const { plain, directory, listed, clean } = world();
      const rooms = [listed(7), clean(3), listed(8)];
      for (let i = 0; i < 4; i++) {
        const result = await directory.check(rooms);
        expect(result.kind).toBe("checked");
        if (result.kind !== "checked") continue;
        expect([...result.listed.keys()].sort()).toEqual([listed(7), listed(8)].sort());
        expect(result.listed.get(listed(7))).toEqual({ reportId: "report-7", tags: ["csam"] });
      }
      const user = pseudo("@d:example.org");
      expect(await directory.lookup(clean(4), user)).toEqual({ kind: "clean" });
      expect(await plain.check(rooms)).toEqual({ kind: "unsupported" });
    });

    it("answers an opaque list version, the same while the list stays the same", async () => {
      const { plain, directory } = world();
      const first = await plain.listVersion();
      expect(first.ok).toBe(true);
      if (!first.ok) return;
      expect(first.value).toMatch(/^[A-Za-z0-9_-]{8,128}$/);
      expect(await plain.listVersion()).toEqual(first);
      expect((await directory.listVersion()).ok).toBe(true);
    });
  });
}
