/** The guard's Prometheus metrics, in a registry of its own (no globals). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Creates the registry and every metric the guard updates. */
export function createGuardMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "redlight_guard_process_" });
  const registers = [registry];
  return {
    registry,
    decisions: new Counter({
      name: "redlight_guard_decisions_total",
      help: "Callback answers by callback, verdict and reason.",
      labelNames: ["callback", "verdict", "reason"] as const,
      registers,
    }),
    decisionSeconds: new Histogram({
      name: "redlight_guard_decision_duration_seconds",
      help: "Time to answer a callback, in the guard.",
      labelNames: ["callback"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    sweeps: new Counter({
      name: "redlight_guard_sweeps_total",
      help: "Sweeps of pending invites and members of listed rooms, by outcome (clean, acted, failures).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    sweepActions: new Counter({
      name: "redlight_guard_sweep_actions_total",
      help: "Actions of sweeps by action and result (done, failed, gone).",
      labelNames: ["action", "result"] as const,
      registers,
    }),
    lookupRequests: new Counter({
      name: "redlight_guard_lookup_requests_total",
      help: "Requests to the lookup service by operation and outcome.",
      labelNames: ["operation", "outcome"] as const,
      registers,
    }),
    lookupSeconds: new Histogram({
      name: "redlight_guard_lookup_duration_seconds",
      help: "Round trip to the lookup service.",
      labelNames: ["operation"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    lookupDegraded: new Gauge({
      name: "redlight_guard_lookup_degraded",
      help: "1 while the lookup service does not answer (fail modes apply).",
      registers,
    }),
    adminApiFailures: new Counter({
      name: "redlight_guard_admin_api_failures_total",
      help: "Failed Synapse admin API requests by purpose.",
      labelNames: ["purpose"] as const,
      registers,
    }),
    alerts: new Counter({
      name: "redlight_guard_alerts_total",
      help: "Alert-room messages by kind and outcome (sent, retried, failed, dropped).",
      labelNames: ["kind", "outcome"] as const,
      registers,
    }),
    suspensions: new Counter({
      name: "redlight_guard_suspensions_total",
      help: "Synapse account suspensions requested by action and result.",
      labelNames: ["action", "result"] as const,
      registers,
    }),
    unfreezes: new Counter({
      name: "redlight_guard_unfreezes_total",
      help: "Unfreezes by origin (cli, alert_room) and result.",
      labelNames: ["origin", "result"] as const,
      registers,
    }),
    knownFrozen: new Gauge({
      name: "redlight_guard_known_frozen_accounts",
      help: "Frozen accounts the guard knows of (refused without asking).",
      registers,
    }),
    cachedCleanRooms: new Gauge({
      name: "redlight_guard_cached_clean_rooms",
      help: "Rooms in the clean verdict cache.",
      registers,
    }),
    // The room directory guard: counts only, never a term or who searched.
    searchesRedirected: new Counter({
      name: "redlight_guard_searches_redirected_total",
      help: "Searches answered with help instead of results, by term list, harm and surface (directory, text_check).",
      labelNames: ["list", "harm", "surface"] as const,
      registers,
    }),
    directoryRoomsFiltered: new Counter({
      name: "redlight_guard_directory_rooms_filtered_total",
      help: "Rooms left out of directory pages, by reason (listed, room_terms, text_budget, not_curated, unchecked, malformed).",
      labelNames: ["reason"] as const,
      registers,
    }),
    directoryShownUnchecked: new Counter({
      name: "redlight_guard_directory_rooms_shown_unchecked_total",
      help: "Rooms shown although the lookup service could not check them (directory.fail_mode show).",
      registers,
    }),
    directoryRequests: new Counter({
      name: "redlight_guard_directory_requests_total",
      help: "Directory proxy requests by API (client, federation) and outcome.",
      labelNames: ["api", "outcome"] as const,
      registers,
    }),
    knocks: new Counter({
      name: "redlight_guard_knocks_total",
      help: "Knocks through the client-API proxy by outcome (forwarded, refused, unauthenticated, bad_request, unknown_room, homeserver_failed).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    roomReports: new Counter({
      name: "redlight_guard_room_reports_total",
      help: "Room reports through the client-API proxy by the homeserver's answer (accepted, refused, failed).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    directoryUpstreamSeconds: new Histogram({
      name: "redlight_guard_directory_upstream_duration_seconds",
      help: "Time the homeserver took to answer a forwarded directory request.",
      labelNames: ["api"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    }),
    directoryChecksOverBudget: new Counter({
      name: "redlight_guard_directory_checks_over_budget_total",
      help: "Batch checks not asked because directory.max_checks_per_minute was used up.",
      registers,
    }),
    directoryChecksRateLimited: new Counter({
      name: "redlight_guard_directory_checks_rate_limited_total",
      help: "Batch checks refused by the lookup service's client quota (429), or not asked while it said to wait.",
      registers,
    }),
    directoryCachedVerdicts: new Gauge({
      name: "redlight_guard_directory_cached_verdicts",
      help: "Rooms with a cached directory verdict.",
      registers,
    }),
  };
}

/** The guard's metrics. */
export type GuardMetrics = ReturnType<typeof createGuardMetrics>;
