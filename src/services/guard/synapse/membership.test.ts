import { describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../../../core/ids.js";
import { ok } from "../../../core/result.js";
import type { MatrixCall } from "./matrix-http.js";
import { AdminApiFacts } from "./membership.js";
import { SynapseAdmin } from "./synapse-admin.js";
import { CleanVerdictCache } from "../gates/verdict-cache.js";
import { FrozenAccounts } from "../gates/frozen-accounts.js";

const user = "@grace:example.org" as UserId;
const a = "!room-a:example.org" as RoomId;
const b = "!room-b:example.org" as RoomId;

function fakeSynapse() {
  const joined = new Set<string>();
  let calls = 0;
  const call: MatrixCall = async (_method, path) => {
    calls++;
    if (path.includes("/joined_rooms"))
      return ok({ status: 200, body: { joined_rooms: [...joined], total: joined.size } });
    return ok({ status: 200, body: { name: "Room", topic: "Topic" } });
  };
  return { joined, call, calls: () => calls };
}

describe("AdminApiFacts", () => {
  it("answers 'joined' from the cache but always re-asks 'not joined'", async () => {
    const hs = fakeSynapse();
    const facts = new AdminApiFacts(new SynapseAdmin(hs.call), 10_000, Date.now, () => undefined);
    // The join callback asks before the join completes: not joined yet.
    expect(await facts.isJoined(user, a)).toBe(false);
    hs.joined.add(a);
    // A profile change right after: a cached "not joined" would count it as an attempt.
    expect(await facts.isJoined(user, a)).toBe(true);
    expect(hs.calls()).toBe(2);
    // Further profile-change callbacks come from the cache.
    expect(await facts.isJoined(user, a)).toBe(true);
    expect(hs.calls()).toBe(2);
    expect(await facts.isJoined(user, b)).toBe(false);
    expect(hs.calls()).toBe(3);
  });

  it("shares one request among concurrent questions", async () => {
    const hs = fakeSynapse();
    hs.joined.add(a);
    const facts = new AdminApiFacts(new SynapseAdmin(hs.call), 10_000, Date.now, () => undefined);
    expect(
      await Promise.all([
        facts.isJoined(user, a),
        facts.isJoined(user, a),
        facts.isJoined(user, a),
      ]),
    ).toEqual([true, true, true]);
    expect(hs.calls()).toBe(1);
    expect(await facts.textsOf(a)).toEqual({ name: "Room", topic: "Topic" });
    await facts.textsOf(a);
    expect(hs.calls()).toBe(2);
  });

  it("answers undefined (unknown) when the admin API fails, and reports it", async () => {
    const failures: string[] = [];
    const down: MatrixCall = async () => ok({ status: 500, body: { errcode: "M_UNKNOWN" } });
    const facts = new AdminApiFacts(new SynapseAdmin(down), 10_000, Date.now, (what, why) =>
      failures.push(`${what}: ${why}`),
    );
    expect(await facts.isJoined(user, a)).toBeUndefined();
    expect(failures).toEqual(["joined_rooms: HTTP 500 M_UNKNOWN"]);
  });
});

describe("small memories", () => {
  it("the clean verdict cache expires entries and stays within its bound", () => {
    const cache = new CleanVerdictCache(1_000, 2);
    cache.rememberClean(a, 0);
    cache.rememberClean(b, 0);
    cache.rememberClean("!c:example.org" as RoomId, 0);
    expect(cache.size).toBe(2);
    expect(cache.isClean(a, 10)).toBe(false); // the oldest went
    expect(cache.isClean(b, 999)).toBe(true);
    expect(cache.isClean(b, 1_000)).toBe(false);
    const off = new CleanVerdictCache(1_000, 0);
    off.rememberClean(a, 0);
    expect(off.isClean(a, 1)).toBe(false);
  });

  it("frozen accounts: new or known, due for a re-check, cleared", () => {
    const frozen = new FrozenAccounts(100);
    const p = "f".repeat(64) as Parameters<FrozenAccounts["state"]>[0];
    expect(frozen.state(p, 0)).toBe("not_frozen");
    expect(frozen.markFrozen(p, 0)).toBe(true);
    expect(frozen.markFrozen(p, 50)).toBe(false);
    expect(frozen.state(p, 100)).toBe("frozen");
    expect(frozen.state(p, 150)).toBe("frozen_recheck_due");
    expect(frozen.clear(p)).toBe(true);
    expect(frozen.state(p, 150)).toBe("not_frozen");
  });
});
