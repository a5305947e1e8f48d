/**
 * The provider dashboard's review queue: rooms client homeservers reported up (the report
 * extension of LJS-4, docs/reports.md). A pending report shows its room id and reason,
 * opened with the list key, because the reviewer must check the room; a reported room is
 * not listed yet. A decided report never shows its room: an accepted one is listed now.
 * Accept and Reject run the same code as `redlight reports accept|reject`
 * (../review/review-decisions.ts).
 */
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, postButton, table } from "../../../dashboard/html.js";
import type { ReviewReport } from "../../../storage/storage.js";
import {
  acceptReview,
  openReview,
  parseReviewTags,
  rejectReview,
  type ReviewDecisionDeps,
} from "../review/review-decisions.js";
import type { ProviderAdmin } from "./admin-login.js";

/** Reasons are untrusted text from another homeserver's users: cut to this length. */
export const REASON_SHOWN = 300;
const DECIDED_SHOWN = 50;

/** The review queue page. */
export function reviewPage(deps: ReviewDecisionDeps): DashboardPage<ProviderAdmin> {
  return {
    path: "/reviews",
    title: "Review queue",
    async render({ csrf }) {
      const all = await deps.storage.listReviewReports();
      const pending = all.filter((r) => r.state === "pending");
      const decided = all
        .filter((r) => r.state !== "pending")
        .sort((a, b) => (b.decidedAt ?? 0) - (a.decidedAt ?? 0))
        .slice(0, DECIDED_SHOWN);
      const rows = pending.map((r) => [
        `<code>${esc(r.ref)}</code>`,
        esc(r.client),
        esc(isoTime(r.createdAt)),
        esc(r.tags.join(", ") || "-"),
        ...opened(r, deps.key),
        `${acceptForm(csrf, r)} ${postButton("/reviews/reject", csrf, "Reject", { ref: r.ref })}`,
      ]);
      const past = decided.map((r) => [
        `<code>${esc(r.ref)}</code>`,
        esc(r.client),
        esc(r.state),
        r.decidedAt === null ? "-" : esc(isoTime(r.decidedAt)),
        esc((r.acceptedTags ?? []).join(", ") || "-"),
      ]);
      return `<h2>Pending</h2>${table(["ref", "client", "received", "tags asked", "room", "reason", ""], rows)}
<p>Accepted reports take effect at the lookup service's next reload of the reports list.</p>
<h2>Decided (latest ${DECIDED_SHOWN})</h2>${table(["ref", "client", "state", "decided", "list tags"], past)}`;
    },
    actions: {
      async accept(_admin, form) {
        const ref = form.get("ref") ?? "";
        const tags = parseReviewTags(form.get("tags") ?? "");
        if (!tags.ok) return { ok: false, text: `${tags.error}; nothing was changed` };
        const done = await acceptReview(deps, ref, tags.value);
        if (!done.ok) return { ok: false, text: done.error };
        const { entries, unfiltered } = done.value;
        const warning =
          unfiltered.length === 0
            ? ""
            : ` Warning: the server does not filter ${unfiltered.join(", ")}; lookups will not match it.`;
        return {
          ok: true,
          text: `accepted ${ref}; the reports list holds ${entries} entries and takes effect at the next reload.${warning}`,
        };
      },
      async reject(_admin, form) {
        const ref = form.get("ref") ?? "";
        const done = await rejectReview(deps, ref);
        return done.ok ? { ok: true, text: `rejected ${ref}` } : { ok: false, text: done.error };
      },
    },
  };
}

/** The room and reason cells of a pending report. */
function opened(report: ReviewReport, key: Buffer): [string, string] {
  const open = openReview(report, key);
  if (!open.ok) return ["cannot be opened with the list key", "-"];
  const reason = open.value.reason;
  const cut = reason.length > REASON_SHOWN ? `${reason.slice(0, REASON_SHOWN)}…` : reason;
  return [`<code>${esc(open.value.roomId)}</code>`, `<span class="reason">${esc(cut)}</span>`];
}

function acceptForm(csrf: string, report: ReviewReport): string {
  return `<form method="post" action="/reviews/accept" class="inline"><input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="ref" value="${esc(report.ref)}"><input name="tags" aria-label="list tags" value="${esc(report.tags.join(","))}" size="12"><button type="submit">Accept</button></form>`;
}
