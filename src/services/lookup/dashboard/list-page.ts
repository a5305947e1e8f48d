/**
 * The provider dashboard's list health: each source's last load, entry count and last
 * failure, and the size of the list in service. Counts only: no entry is ever shown.
 */
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, table } from "../../../dashboard/html.js";
import type { ListHealth } from "./list-health.js";

/** The list health page. */
export function listPage<P>(health: ListHealth): DashboardPage<P> {
  return {
    path: "/list",
    title: "List health",
    async render() {
      const s = health.snapshot();
      const when = (t: number | undefined) => (t === undefined ? "never" : esc(isoTime(t)));
      const rows = s.sources.map((src) => [
        esc(src.source),
        when(src.loadedAt),
        src.entries === undefined ? "-" : esc(src.entries),
        src.skipped === undefined ? "-" : esc(src.skipped),
        when(src.failedAt),
        esc(src.failure ?? ""),
      ]);
      return `<p>In service: ${esc(s.entries)} entries (${esc(Math.round(s.bytes / 1024))} KiB), swapped in ${when(s.swappedAt)}.</p>
${table(["source", "last loaded", "entries", "skipped", "last failure", "reason"], rows)}`;
    },
  };
}
