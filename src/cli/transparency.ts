/**
 * `redlight transparency --config FILE --from YYYY-MM-DD --to YYYY-MM-DD --out DIR`: writes
 * a transparency report of the period (docs/transparency.md) from the guard's decisions log
 * or, with `--service lookup` (the default without a guard section), the provider's audit
 * trail. Malformed dates are refused before anything is opened or written.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DecisionQueries } from "../services/guard/decisions/decision-queries.js";
import { ReportStore } from "../services/guard/reports/report-store.js";
import { auditCountsByMonth } from "../storage/audit-counts.js";
import { openGuardDatabase } from "../storage/guard-database.js";
import { reportFiles } from "../transparency/render.js";
import { periodBounds, type TransparencyReport } from "../transparency/report.js";
import { guardReport, providerReport } from "../transparency/sources.js";
import { CliError, loadConfig, say } from "./context.js";

/** The command's options. */
export interface TransparencyOptions {
  readonly config?: string;
  readonly from: string;
  readonly to: string;
  readonly out: string;
  readonly service?: string;
}

/** Writes the report files into `--out`. */
export async function transparency(options: TransparencyOptions): Promise<void> {
  const bounds = periodBounds(options.from, options.to);
  if (!bounds.ok) throw new CliError(bounds.error);
  const service = options.service;
  if (service !== undefined && service !== "guard" && service !== "lookup")
    throw new CliError(`--service ${service}: expected guard or lookup`);
  const config = loadConfig(options.config);
  const period = { from: options.from, to: options.to };
  let report: TransparencyReport;
  if ((service ?? (config.guard === undefined ? "lookup" : "guard")) === "guard") {
    if (config.guard === undefined) throw new CliError("the config has no guard section");
    const db = await openGuardDatabase(config.guard.database);
    try {
      const queries = new DecisionQueries(db);
      report = guardReport(
        period,
        bounds.start,
        bounds.end,
        await queries.counts(bounds.start, bounds.end),
        await queries.degradedPeriods(bounds.start, bounds.end),
        Date.now(),
        await new ReportStore(db).actionDelays(bounds.start, bounds.end),
      );
    } finally {
      await db.close();
    }
  } else {
    report = providerReport(
      period,
      await auditCountsByMonth(config.database, bounds.start, bounds.end),
    );
  }
  mkdirSync(options.out, { recursive: true });
  for (const file of reportFiles(report)) writeFileSync(join(options.out, file.name), file.text);
  say(
    `transparency report ${options.from}..${options.to} (${report.service}): ${report.own_initiative_actions.total} actions; written to ${options.out}`,
  );
}
