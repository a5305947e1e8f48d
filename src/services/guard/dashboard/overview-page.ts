/**
 * The guard dashboard's overview: charts of the decisions log over the last days (decisions
 * by outcome; refusals by reason and tag; invites refused by server; searches redirected by
 * harm; freezes and unfreezes) and the periods the lookup service did not answer. Counts
 * only: no room appears, because the log holds none.
 */
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, table } from "../../../dashboard/html.js";
import { barChart, stackedBarChart, type Bar } from "../../../dashboard/svg-chart.js";
import { HOUR_MS } from "../decisions/decision-log.js";
import type { CountRow, DecisionQueries } from "../decisions/decision-queries.js";
import { bucketed, tagsOf, totalsBy, type Buckets } from "../decisions/decision-summary.js";

const DAY_MS = 24 * HOUR_MS;
const GATED = new Set(["join", "invite", "publish", "search", "knock"]);
const DEFAULT_DAYS = 7;
const MAX_DAYS = 400;

/** The overview page. */
export function overviewPage<P>(queries: DecisionQueries, now: () => number): DashboardPage<P> {
  return {
    path: "/",
    title: "Overview",
    async render({ query }) {
      const days = daysOf(query.get("days"));
      const to = Math.ceil(now() / HOUR_MS) * HOUR_MS;
      const from = to - days * DAY_MS;
      const bucketMs = days <= 2 ? HOUR_MS : DAY_MS;
      const [rows, outages] = await Promise.all([
        queries.counts(from, to),
        queries.degradedPeriods(from, to),
      ]);
      const label = (t: number) =>
        bucketMs === HOUR_MS ? isoTime(t).slice(11, 16) : isoTime(t).slice(5, 10);
      const time = (title: string, b: Buckets) =>
        figure(
          title,
          stackedBarChart(
            b.starts.map(label),
            [...b.series].map(([name, values]) => ({ label: name, values })),
            { title },
          ),
        );
      const bars = (title: string, totals: Map<string, number>) =>
        figure(title, barChart(toBars(totals), { title }));
      const refused = (r: CountRow) => r.outcome === "refused";
      const charts = [
        time(
          "Decisions by outcome",
          bucketed(rows, from, to, bucketMs, (r) => (GATED.has(r.action) ? r.outcome : undefined), [
            "refused",
            "redirected",
            "allowed",
          ]),
        ),
        bars(
          "Refusals by reason",
          totalsBy(rows, refused, (r) => [`${r.action}: ${r.reason}`]),
        ),
        bars("Refusals by tag", totalsBy(rows, refused, tagsOf)),
        bars(
          "Invites refused by server",
          totalsBy(
            rows,
            (r) => r.action === "invite" && refused(r),
            (r) => [r.server],
          ),
        ),
        bars(
          "Searches redirected by harm",
          totalsBy(rows, (r) => r.action === "search", tagsOf),
        ),
        time(
          "Freezes and unfreezes",
          bucketed(rows, from, to, bucketMs, (r) =>
            r.action === "freeze" || (r.action === "unfreeze" && r.outcome === "done")
              ? r.action
              : undefined,
          ),
        ),
      ];
      const periods = table(
        ["started", "ended", "minutes"],
        outages.map((o) => [
          esc(isoTime(o.startedAt)),
          o.endedAt === undefined ? "ongoing" : esc(isoTime(o.endedAt)),
          esc(Math.round(((o.endedAt ?? now()) - o.startedAt) / 60_000)),
        ]),
      );
      const ranges = [1, 7, 30, 90]
        .map((d) => `<a href="/?days=${d}">${d === 1 ? "1 day" : `${d} days`}</a>`)
        .join(" · ");
      return `<p>Last ${days} day(s): ${ranges}</p><div class="charts">${charts.join("")}</div>
<h2>Lookup service unreachable (fail modes applied)</h2>${periods}`;
    },
  };
}

function figure(title: string, chart: string): string {
  return `<figure><figcaption>${esc(title)}</figcaption>${chart}</figure>`;
}

function toBars(totals: Map<string, number>): Bar[] {
  return [...totals].map(([label, value]) => ({ label, value }));
}

function daysOf(text: string | null): number {
  const n = text === null ? DEFAULT_DAYS : Number(text);
  return Number.isInteger(n) && n >= 1 && n <= MAX_DAYS ? n : DEFAULT_DAYS;
}
