/**
 * `redlight reports …`: the provider's review queue of rooms client homeservers reported up
 * (docs/reports.md). Listing shows refs, clients, states and tags only; `show` opens one
 * report's room id and reason with the list key, for the reviewer's eyes. Accepting rewrites
 * the encrypted list of accepted reports, which the lookup service loads at its next reload.
 */
import type { Config } from "../config/schema.js";
import { reportsListSource, unseal, writeReportsList } from "../list/reports-list.js";
import { reportsKey } from "../services/lookup/report-key.js";
import type { ReviewReport, ReviewState, Storage } from "../storage/storage.js";
import { CliError, say, withStorage } from "./context.js";

const STATES = new Set<ReviewState>(["pending", "accepted", "rejected"]);
const TAG_RE = /^[a-z0-9_.-]{1,64}$/;

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
    const key = keyOf(config);
    const room = unseal(report.sealedRoom, key);
    const reason = unseal(report.sealedReason, key);
    if (!room.ok || !reason.ok) throw new CliError(`${ref}: cannot be opened with the list key`);
    const lines = [
      `report ${report.ref}`,
      `state: ${report.state}${report.decidedAt === null ? "" : ` (${new Date(report.decidedAt).toISOString()})`}`,
      `client: ${report.client}`,
      `received: ${new Date(report.createdAt).toISOString()}`,
      `room: ${room.value}`,
      // Untrusted text: quoted, so no control character reaches the terminal.
      `reason: ${JSON.stringify(reason.value)}`,
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
  const tags = [
    ...new Set(
      options.tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
  const bad = tags.find((t) => !TAG_RE.test(t));
  if (tags.length === 0 || bad !== undefined)
    throw new CliError("--tags takes tags such as csam,spam (lowercase letters, digits, _ . -)");
  await withStorage(options.config, async (storage, config) => {
    const key = keyOf(config);
    const report = await found(storage, ref);
    if (!unseal(report.sealedRoom, key).ok)
      throw new CliError(`${ref}: cannot be opened with the list key; nothing changed`);
    if (!(await storage.decideReviewReport(ref, "accepted", tags, Date.now())))
      throw new CliError(`${ref} is already ${report.state}`);
    const entries = await writeAccepted(storage, config, key);
    const outside = tags.filter((t) => !config.lookup.filtered_tags.includes(t));
    if (outside.length > 0)
      say(`warning: the server does not filter ${outside.join(", ")}; lookups will not match it`);
    say(
      `accepted ${ref}; the reports list holds ${entries} entries and takes effect at the next reload (redlight list reload)`,
    );
  });
}

/** Rejects a pending report. */
export async function rejectReport(ref: string, options: { config?: string }): Promise<void> {
  await withStorage(options.config, async (storage) => {
    const report = await found(storage, ref);
    if (!(await storage.decideReviewReport(ref, "rejected", null, Date.now())))
      throw new CliError(`${ref} is already ${report.state}`);
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

/** Writes every accepted report into the encrypted list file; answers how many. */
async function writeAccepted(storage: Storage, config: Config, key: Buffer): Promise<number> {
  const path = config.lookup.reports?.list_file;
  if (path === undefined) throw new CliError("lookup.reports is not configured");
  const accepted = await storage.listReviewReports("accepted");
  const entries = accepted.flatMap((r) => {
    const room = unseal(r.sealedRoom, key);
    return room.ok ? [{ ref: r.ref, roomId: room.value, tags: r.acceptedTags ?? r.tags }] : [];
  });
  writeReportsList(path, entries, key);
  // Read it back as the lookup service will: a file it cannot load is caught here.
  const check = await reportsListSource(path, key, 0).fetch();
  if (!check.ok)
    throw new CliError(`the reports list was written but does not load: ${check.error}`);
  return entries.length;
}
