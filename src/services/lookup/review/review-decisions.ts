/**
 * Deciding reports of the provider's review queue (docs/reports.md), shared by
 * `redlight reports accept|reject` and the provider dashboard's review queue so that both
 * do exactly the same: accepting seals nothing new, moves the report to `accepted` with the
 * list entry's tags and rewrites the encrypted list of accepted reports, which the lookup
 * service loads at its next reload; rejecting only moves the report to `rejected`.
 */
import { err, ok, type Result } from "../../../core/result.js";
import { reportsListSource, unseal, writeReportsList } from "../../../list/reports-list.js";
import type { ReviewReport, Storage } from "../../../storage/storage.js";

const TAG_RE = /^[a-z0-9_.-]{1,64}$/;

/** What a decision needs: the queue, the list key and where the accepted list is written. */
export interface ReviewDecisionDeps {
  readonly storage: Storage;
  readonly key: Buffer;
  /** `lookup.reports.list_file`. */
  readonly listFile: string;
  /** `lookup.filtered_tags`: an accepted tag outside them is worth a warning. */
  readonly filteredTags: readonly string[];
  readonly now: () => number;
}

/** What accepting did. */
export interface Accepted {
  /** Entries of the accepted list now. */
  readonly entries: number;
  /** Accepted tags the server does not filter (lookups will not match them). */
  readonly unfiltered: readonly string[];
}

/** Parses `csam,spam` into distinct list tags; an error names the expected form. */
export function parseReviewTags(text: string): Result<string[], string> {
  const tags = [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
  return tags.length > 0 && tags.every((t) => TAG_RE.test(t))
    ? ok(tags)
    : err("give tags such as csam,spam (lowercase letters, digits, _ . -)");
}

/** A report's room id and reason, opened with the list key (for the reviewer's eyes). */
export function openReview(
  report: ReviewReport,
  key: Buffer,
): Result<{ roomId: string; reason: string }, string> {
  const room = unseal(report.sealedRoom, key);
  const reason = unseal(report.sealedReason, key);
  return room.ok && reason.ok
    ? ok({ roomId: room.value, reason: reason.value })
    : err(`${report.ref}: cannot be opened with the list key`);
}

/** Accepts a pending report with `tags` and rewrites the accepted list. */
export async function acceptReview(
  deps: ReviewDecisionDeps,
  ref: string,
  tags: readonly string[],
): Promise<Result<Accepted, string>> {
  const report = await deps.storage.getReviewReport(ref);
  if (report === undefined) return err(`no report ${ref}`);
  if (!unseal(report.sealedRoom, deps.key).ok)
    return err(`${ref}: cannot be opened with the list key; nothing changed`);
  if (!(await deps.storage.decideReviewReport(ref, "accepted", [...tags], deps.now())))
    return err(`${ref} is already ${report.state}`);
  const entries = await writeAccepted(deps);
  if (!entries.ok) return entries;
  return ok({
    entries: entries.value,
    unfiltered: tags.filter((t) => !deps.filteredTags.includes(t)),
  });
}

/** Rejects a pending report. */
export async function rejectReview(
  deps: Pick<ReviewDecisionDeps, "storage" | "now">,
  ref: string,
): Promise<Result<void, string>> {
  const report = await deps.storage.getReviewReport(ref);
  if (report === undefined) return err(`no report ${ref}`);
  return (await deps.storage.decideReviewReport(ref, "rejected", null, deps.now()))
    ? ok(undefined)
    : err(`${ref} is already ${report.state}`);
}

/** Writes every accepted report into the encrypted list file; answers how many. */
async function writeAccepted(deps: ReviewDecisionDeps): Promise<Result<number, string>> {
  const accepted = await deps.storage.listReviewReports("accepted");
  const entries = accepted.flatMap((r) => {
    const room = unseal(r.sealedRoom, deps.key);
    return room.ok ? [{ ref: r.ref, roomId: room.value, tags: r.acceptedTags ?? r.tags }] : [];
  });
  writeReportsList(deps.listFile, entries, deps.key);
  // Read it back as the lookup service will: a file it cannot load is caught here.
  const check = await reportsListSource(deps.listFile, deps.key, 0).fetch();
  return check.ok
    ? ok(entries.length)
    : err(`the reports list was written but does not load: ${check.error}`);
}
