/** The lookup service's Prometheus metrics, in a registry of its own (no globals). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Outcomes counted by `redlight_lookups_total`. */
export type LookupOutcome =
  | "match"
  | "no_match"
  | "frozen"
  | "rate_limited"
  | "unauthorized"
  | "forbidden"
  | "bad_request"
  | "unavailable";

/** Creates the registry and every metric the lookup service updates. */
export function createLookupMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "redlight_lookup_process_" });
  const registers = [registry];
  return {
    registry,
    lookups: new Counter({
      name: "redlight_lookups_total",
      help: "Lookups by outcome.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    lookupSeconds: new Histogram({
      name: "redlight_lookup_duration_seconds",
      help: "Time to answer a lookup, in the service.",
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    }),
    privateEvaluations: new Counter({
      name: "redlight_private_evaluations_total",
      help: "LJS-4 v2 evaluate requests by outcome (evaluated: answered, hit or miss alike: the provider cannot tell).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    privateReports: new Counter({
      name: "redlight_private_reports_total",
      help: "LJS-4 v2 reports of set hits by outcome (`no_match`: a false hit).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    privateBatches: new Counter({
      name: "redlight_private_batches_total",
      help: "LJS-4 v2 batched evaluations and resolves (directory scope) by outcome.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    checks: new Counter({
      name: "redlight_checks_total",
      help: "Batch checks (directory scope) by outcome.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    checkHashes: new Counter({
      name: "redlight_check_hashes_total",
      help: "Room hashes asked in answered batch checks, per client.",
      labelNames: ["client"] as const,
      registers,
    }),
    checkListed: new Counter({
      name: "redlight_check_listed_total",
      help: "Listed room hashes found by batch checks, per client (a high share of redlight_check_hashes_total is enumeration).",
      labelNames: ["client"] as const,
      registers,
    }),
    checkEnumerationSuspected: new Counter({
      name: "redlight_check_enumeration_suspected_total",
      help: "Windows in which a client's batch checks looked like enumeration of the list, by reason (listed_share, new_hashes); alert on it.",
      labelNames: ["client", "reason"] as const,
      registers,
    }),
    unfreezes: new Counter({
      name: "redlight_unfreezes_total",
      help: "Freezes lifted through the API.",
      registers,
    }),
    freezes: new Counter({
      name: "redlight_freezes_total",
      help: "Pseudonyms frozen by this process.",
      registers,
    }),
    frozen: new Gauge({
      name: "redlight_frozen_pseudonyms",
      help: "Active freezes (all clients).",
      registers,
    }),
    listEntries: new Gauge({
      name: "redlight_list_entries",
      help: "Rooms in the list in service.",
      registers,
    }),
    listBytes: new Gauge({
      name: "redlight_list_bytes",
      help: "Bytes held by the list in service.",
      registers,
    }),
    listReloads: new Counter({
      name: "redlight_list_reloads_total",
      help: "List source reloads by result.",
      labelNames: ["result"] as const,
      registers,
    }),
    listReloadFailures: new Counter({
      name: "redlight_list_reload_failures_total",
      help: "Failed or corrupt list reloads (the last good list stays in service).",
      registers,
    }),
    quotaRefusals: new Counter({
      name: "redlight_quota_refusals_total",
      help: "Requests refused by a quota (client: a client past its own quota may be enumerating the list; alert on it).",
      labelNames: ["quota", "client"] as const,
      registers,
    }),
    storageErrors: new Counter({
      name: "redlight_storage_errors_total",
      help: "Database operations that failed.",
      labelNames: ["operation"] as const,
      registers,
    }),
    clients: new Gauge({
      name: "redlight_clients",
      help: "Active whitelisted clients.",
      registers,
    }),
  };
}

/** The lookup service's metrics. */
export type LookupMetrics = ReturnType<typeof createLookupMetrics>;
