import { describe, expect, it } from "vitest";
import type { Ljs4Hash, RoomId } from "../../../core/ids.js";
import { FakeLookupClient } from "../../../../test/doubles/guard-fakes.js";
import { LookupMonitor, type LookupHealthEvent } from "./lookup-monitor.js";

const room = "!clean-0001:example.org" as RoomId;
const user = "0".repeat(64) as Ljs4Hash;

describe("LookupMonitor", () => {
  it("reports degraded once, recovered once, with the outage's length", async () => {
    const inner = new FakeLookupClient();
    const events: LookupHealthEvent[] = [];
    let now = 0;
    const monitor = new LookupMonitor(inner, {
      now: () => now,
      onHealth: (e) => events.push(e),
      probeRoom: room,
      probeUser: user,
    });
    await monitor.lookup(room, user);
    inner.down = "timeout";
    await monitor.lookup(room, user);
    await monitor.check([room]);
    expect(monitor.degraded).toBe(true);
    now = 125_000;
    inner.down = undefined;
    await monitor.lookup(room, user);
    await monitor.lookup(room, user);
    expect(events).toEqual([
      { kind: "lookup_degraded", reason: "timeout" },
      { kind: "lookup_recovered", downMs: 125_000 },
    ]);
  });

  it("probes only while degraded, so recovery is noticed without traffic", async () => {
    const inner = new FakeLookupClient();
    const events: LookupHealthEvent[] = [];
    const monitor = new LookupMonitor(inner, {
      now: () => 0,
      onHealth: (e) => events.push(e),
      probeRoom: room,
      probeUser: user,
    });
    await monitor.probe();
    expect(inner.lookups).toEqual([]);
    inner.down = "unreachable";
    await monitor.lookup(room, user);
    inner.down = undefined;
    await monitor.probe();
    expect(inner.lookups).toHaveLength(2);
    expect(events.map((e) => e.kind)).toEqual(["lookup_degraded", "lookup_recovered"]);
  });

  it("does not call a refused batch check (no scope) an outage", async () => {
    const inner = new FakeLookupClient();
    inner.checkSupported = false;
    const events: LookupHealthEvent[] = [];
    const monitor = new LookupMonitor(inner, {
      now: () => 0,
      onHealth: (e) => events.push(e),
      probeRoom: room,
      probeUser: user,
    });
    expect(await monitor.check([room])).toEqual({ kind: "unsupported" });
    expect(events).toEqual([]);
  });

  it("does not call a rate-limited batch check an outage", async () => {
    const inner = new FakeLookupClient();
    inner.checkRateLimitedMs = 1_000;
    const events: LookupHealthEvent[] = [];
    const monitor = new LookupMonitor(inner, {
      now: () => 0,
      onHealth: (e) => events.push(e),
      probeRoom: room,
      probeUser: user,
    });
    expect(await monitor.check([room])).toEqual({ kind: "rate_limited", retryAfterMs: 1_000 });
    expect(events).toEqual([]);
    expect(monitor.degraded).toBe(false);
  });

  it("does not flap: a request sent before the service answered again, failing after, is no new outage", async () => {
    let release!: () => void;
    const slow = new Promise<void>((done) => (release = done));
    const inner = new FakeLookupClient();
    const stale: FakeLookupClient = Object.create(inner) as FakeLookupClient;
    stale.lookup = async () => {
      await slow;
      return { kind: "unavailable", failure: { kind: "timeout" } };
    };
    const events: LookupHealthEvent[] = [];
    const deps = {
      now: () => 0,
      onHealth: (e: LookupHealthEvent) => events.push(e),
      probeRoom: room,
      probeUser: user,
    };
    const calls = { inner, stale };
    let which: keyof typeof calls = "inner";
    const monitor = new LookupMonitor(
      {
        lookup: (r, u) => calls[which].lookup(r, u),
        check: (r) => inner.check(r),
        unfreeze: (u) => inner.unfreeze(u),
        listVersion: () => inner.listVersion(),
      },
      deps,
    );
    inner.down = "unreachable";
    await monitor.lookup(room, user); // degraded
    which = "stale";
    const pending = monitor.lookup(room, user); // sent while down, answered late
    which = "inner";
    inner.down = undefined;
    await monitor.lookup(room, user); // recovered
    release();
    await pending;
    expect(events.map((e) => e.kind)).toEqual(["lookup_degraded", "lookup_recovered"]);
    expect(monitor.degraded).toBe(false);
  });
});

describe("LookupMonitor and unfreeze failures", () => {
  it("marks the service degraded for every outage kind, a too-large answer included, but not for a refusal", async () => {
    for (const kind of ["timeout", "aborted", "too_large", "ECONNREFUSED"]) {
      const inner = new FakeLookupClient();
      inner.down = kind;
      const events: LookupHealthEvent[] = [];
      const monitor = new LookupMonitor(inner, {
        now: () => 0,
        onHealth: (e) => events.push(e),
        probeRoom: room,
        probeUser: user,
      });
      await monitor.unfreeze(user);
      expect(monitor.degraded, kind).toBe(true);
      expect(events[0]?.kind).toBe("lookup_degraded");
    }
    const refusing = new FakeLookupClient();
    refusing.unfreeze = async () => ({
      ok: false,
      error: { kind: "refused", status: 400, errcode: "M_BAD_JSON" },
    });
    const monitor = new LookupMonitor(refusing, {
      now: () => 0,
      onHealth: () => undefined,
      probeRoom: room,
      probeUser: user,
    });
    await monitor.unfreeze(user);
    expect(monitor.degraded).toBe(false);
  });
});
