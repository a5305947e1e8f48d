/**
 * A transparency report as files: report.json (the data), report.md (for people, with the
 * charts linked) and SVG charts drawn by the dashboards' chart functions.
 */
import { barChart, stackedBarChart } from "../dashboard/svg-chart.js";
import type { Tally, TransparencyReport } from "./report.js";

/** A file of the report: its name in the output folder and its text. */
export interface ReportFile {
  readonly name: string;
  readonly text: string;
}

/** Every file of a report. */
export function reportFiles(report: TransparencyReport): ReportFile[] {
  const charts = reportCharts(report);
  return [
    { name: "report.json", text: `${JSON.stringify(report, null, 2)}\n` },
    {
      name: "report.md",
      text: markdown(
        report,
        charts.map((c) => c.name),
      ),
    },
    ...charts,
  ];
}

function bars(tally: Tally) {
  return Object.entries(tally).map(([label, value]) => ({ label, value }));
}

function reportCharts(report: TransparencyReport): ReportFile[] {
  const months = Object.keys(report.by_month).sort();
  const actions = [...new Set(months.flatMap((m) => Object.keys(report.by_month[m] ?? {})))].sort();
  const files = [
    {
      name: "actions-by-month.svg",
      text: stackedBarChart(
        months,
        actions.map((a) => ({ label: a, values: months.map((m) => report.by_month[m]?.[a] ?? 0) })),
        { title: "Own-initiative actions by month", width: 640 },
      ),
    },
    {
      name: "actions-by-type.svg",
      text: barChart(bars(report.own_initiative_actions.by_action), {
        title: "Own-initiative actions by type",
        width: 640,
      }),
    },
  ];
  if (Object.keys(report.own_initiative_actions.by_category).length > 0)
    files.push({
      name: "actions-by-category.svg",
      text: barChart(bars(report.own_initiative_actions.by_category), {
        title: "Own-initiative actions by category",
        width: 640,
      }),
    });
  return files.map((f) => ({ ...f, text: `<?xml version="1.0" encoding="UTF-8"?>\n${f.text}\n` }));
}

function tallyTable(title: string, tally: Tally): string {
  const rows = Object.entries(tally).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (rows.length === 0) return `| ${title} | count |\n| --- | ---: |\n| (none) | 0 |\n`;
  return `| ${title} | count |\n| --- | ---: |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join("\n")}\n`;
}

function markdown(r: TransparencyReport, charts: readonly string[]): string {
  const who = r.service === "guard" ? "homeserver guard" : "list provider (lookup service)";
  const a = r.own_initiative_actions;
  const { fail_open_periods, fail_open_minutes, ...known } = r.redlight;
  return `# Transparency report: ${r.period.from} to ${r.period.to}

Redlight ${who}. ${r.template}

## Notices received

${r.notices_received.total} notices.

${tallyTable("type", r.notices_received.by_type)}
## Actions taken on notices

${r.actions_on_notices.total} actions.

${tallyTable("action", r.actions_on_notices.by_action)}
## Own-initiative actions

${a.total} actions: ${a.automated} by automated means, ${a.not_automated} not automated.

${tallyTable("action", a.by_action)}
${tallyTable("category", a.by_category)}
## Account restrictions

| | count |
| --- | ---: |
| imposed (freezes, suspensions) | ${r.suspensions.imposed} |
| reversed (unfreezes, unsuspensions) | ${r.suspensions.reversed} |

Median time from notice to action: ${r.median_hours_notice_to_action === null ? "no notice acted on" : `${r.median_hours_notice_to_action} h`}.

## What only Redlight knows

${tallyTable("measure", known)}
Periods in which the lookup service did not answer (fail modes applied): ${fail_open_periods}, ${fail_open_minutes} minutes in all.

## Charts

${charts.map((c) => `![${c}](${c})`).join("\n\n")}

## Notes

${r.notes.map((n) => `- ${n}`).join("\n")}
`;
}
