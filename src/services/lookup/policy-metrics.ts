/**
 * Prometheus gauges of the policy rooms the lookup service follows: rooms by state, rules
 * by kind and recommendation, skipped rules by reason, seconds since the last good sync.
 * Read from the followers' status at scrape time; numbers only, never an entity.
 */
import { Gauge, type Registry } from "prom-client";
import type { PolicyRoomFollower } from "../../policy/policy-room-follower.js";

/** Registers the gauges over `followers` (none: nothing is registered). */
export function registerPolicyMetrics(
  registry: Registry,
  followers: readonly PolicyRoomFollower[],
  now: () => number,
): void {
  if (followers.length === 0) return;
  const registers = [registry];
  const statuses = () => followers.map((f) => f.status());
  new Gauge({
    name: "redlight_policy_rooms",
    help: "Followed policy rooms by state (starting, following, degraded).",
    labelNames: ["state"] as const,
    registers,
    collect() {
      this.reset();
      for (const s of statuses()) for (const r of s.rooms) this.inc({ state: r.state });
    },
  });
  new Gauge({
    name: "redlight_policy_rules",
    help: "Policy rules in force, by kind and recommendation.",
    labelNames: ["kind", "recommendation"] as const,
    registers,
    collect() {
      this.reset();
      for (const s of statuses())
        for (const r of s.rooms)
          for (const [kind, byRec] of Object.entries(r.counts.rules))
            for (const [recommendation, n] of Object.entries(byRec))
              this.inc({ kind, recommendation }, n);
    },
  });
  new Gauge({
    name: "redlight_policy_skipped_rules",
    help: "Policy rules skipped, by reason (e.g. glob: a room rule with a glob).",
    labelNames: ["reason"] as const,
    registers,
    collect() {
      this.reset();
      for (const s of statuses())
        for (const r of s.rooms)
          for (const [reason, n] of Object.entries(r.counts.skipped)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: "redlight_policy_sync_age_seconds",
    help: "Seconds since the oldest of the followers last synced (grows while sync fails).",
    registers,
    collect() {
      const last = statuses().map((s) => s.lastSyncAt ?? 0);
      this.set(Math.max(0, (now() - Math.min(...last)) / 1000));
    },
  });
}
