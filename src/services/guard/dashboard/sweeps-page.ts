/**
 * The guard dashboard's sweeps (docs/sweeps.md): what the sweeps of the last days did, by
 * action and outcome, from the sweep ledger. Counts only: the ledger keeps rooms and users
 * as keyed hashes, and the page shows neither.
 */
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, table } from "../../../dashboard/html.js";
import { sweepCounts } from "../sweep/sweep-summary.js";
import type { SqlExecutor } from "../../../storage/sql-database.js";

const DAY_MS = 86_400_000;
const DAYS = 30;

/** The sweeps page. */
export function sweepsPage<P>(db: SqlExecutor, now: () => number): DashboardPage<P> {
  return {
    path: "/sweeps",
    title: "Sweeps",
    async render() {
      const to = now() + 1;
      const counts = await sweepCounts(db, to - DAYS * DAY_MS, to);
      const totals = new Map<string, { count: number; last: number }>();
      for (const c of counts) {
        const key = `${c.action}\n${c.state}`;
        const t = totals.get(key) ?? { count: 0, last: 0 };
        totals.set(key, { count: t.count + c.count, last: Math.max(t.last, c.last) });
      }
      const outcome = (state: string) =>
        state === "done" ? "done" : "begun, not finished (retried at the next sweep)";
      const byKind = [...totals].map(([key, t]) => {
        const [action = "", state = ""] = key.split("\n");
        return [esc(action), esc(outcome(state)), esc(t.count), esc(isoTime(t.last))];
      });
      const byDay = counts.map((c) => [
        esc(isoTime(c.day).slice(0, 10)),
        esc(c.action),
        esc(outcome(c.state)),
        esc(c.count),
        esc(c.attempts),
      ]);
      return `<p>Actions of the sweeps of the last ${DAYS} days (rooms and users are not shown).</p>
<h2>By action and outcome</h2>${table(["action", "outcome", "actions", "latest"], byKind)}
<h2>By day</h2>${table(["day (UTC)", "action", "outcome", "actions", "attempts"], byDay)}`;
    },
  };
}
