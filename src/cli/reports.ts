/**
 * `redlight reports …`: the provider's review queue of rooms client homeservers reported up
 * (docs/reports.md). Listing shows refs, clients, states and tags only; `show` opens one
 * report's room id and reason with the list key, for the reviewer's eyes. Accepting rewrites
 * the encrypted list of accepted reports, which the lookup service loads at its next reload.
 */
import type { Config } from "../config/schema.js";
import { reportsKey } from "../services/lookup/report-key.js";
import {
  acceptReview,
  openReview,
  parseReviewTags,
  rejectReview,
  type ReviewDecisionDeps,
} from "../services/lookup/review/review-decisions.js";
import type { ReviewReport, ReviewState, Storage } from "../storage/storage.js";
import { CliError, say, withStorage } from "./context.js";

const STATES = new Set<ReviewState>(["pending", "accepted", "rejected"]);

/** Lists the queue (pending first is the reviewer's usual `--state pending`). */
export async function listReports(options: { config?: string; state?: string }): Promise<void> {
  const state = options.state;
  if (state !== undefined && !STATES.has(state as ReviewState))
    throw new CliError(`--state is one of ${[...STATES].join(", ")}`);
  await withStorage(options.config, async (storage) => {
    const rows = await storage.listReviewReports(state as ReviewState | undefined);
    for (const r of rows) {
      const tags = (r.acceptedTags ?? r.tags).join(",") || "-";
      process.stdout.write(
        `${r.ref}\t${r.state}\t${r.client}\t${new Date(r.createdAt).toISOString()}\ttags=${tags}\n`,
      );
    }
    if (rows.length === 0) say("no reports");
  });
}

/** Shows one report, its room id and reason opened with the list key. */
export async function showReport(ref: string, options: { config?: string }): Promise<void> {
  await withStorage(options.config, async (storage, config) => {
    const report = await found(storage, ref);
    const opened = openReview(report, keyOf(config));
    if (!opened.ok) throw new CliError(opened.error);
    const lines = [
      `report ${report.ref}`,
      `state: ${report.state}${report.decidedAt === null ? "" : ` (${new Date(report.decidedAt).toISOString()})`}`,
      `client: ${report.client}`,
      `received: ${new Date(report.createdAt).toISOString()}`,
      `room: ${opened.value.roomId}`,
      // Untrusted text: quoted, so no control character reaches the terminal.
      `reason: ${JSON.stringify(opened.value.reason)}`,
      `suggested tags: ${report.tags.join(",") || "-"}`,
      ...(report.acceptedTags === null ? [] : [`list tags: ${report.acceptedTags.join(",")}`]),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}

/** Accepts a pending report with the list entry's tags and rewrites the accepted list. */
export async function acceptReport(
  ref: string,
  options: { config?: string; tags: string },
): Promise<void> {
  const tags = parseReviewTags(options.tags);
  if (!tags.ok) throw new CliError(`--tags: ${tags.error}`);
  await withStorage(options.config, async (storage, config) => {
    const accepted = await acceptReview(decisionDeps(storage, config), ref, tags.value);
    if (!accepted.ok) throw new CliError(accepted.error);
    const { entries, unfiltered } = accepted.value;
    if (unfiltered.length > 0)
      say(
        `warning: the server does not filter ${unfiltered.join(", ")}; lookups will not match it`,
      );
    say(
      `accepted ${ref}; the reports list holds ${entries} entries and takes effect at the next reload (redlight list reload)`,
    );
  });
}

/** Rejects a pending report. */
export async function rejectReport(ref: string, options: { config?: string }): Promise<void> {
  await withStorage(options.config, async (storage) => {
    const rejected = await rejectReview({ storage, now: () => Date.now() }, ref);
    if (!rejected.ok) throw new CliError(rejected.error);
    say(`rejected ${ref}`);
  });
}

async function found(storage: Storage, ref: string): Promise<ReviewReport> {
  const report = await storage.getReviewReport(ref);
  if (report === undefined) throw new CliError(`no report ${ref}`);
  return report;
}

function keyOf(config: Config): Buffer {
  const key = reportsKey(config.lookup);
  if (key === undefined) throw new CliError("lookup.reports is not configured");
  return key;
}

function decisionDeps(storage: Storage, config: Config): ReviewDecisionDeps {
  const listFile = config.lookup.reports?.list_file;
  if (listFile === undefined) throw new CliError("lookup.reports is not configured");
  return {
    storage,
    key: keyOf(config),
    listFile,
    filteredTags: config.lookup.filtered_tags,
    now: () => Date.now(),
  };
}
