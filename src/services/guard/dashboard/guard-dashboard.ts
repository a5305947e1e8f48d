/**
 * The guard's dashboard (`guard.dashboard`): its login and its pages. Pages are listed in
 * one array; a feature adds its page (reports, sweeps) with one line here.
 */
import type { FastifyInstance } from "fastify";
import { createDashboardApp, type DashboardPage } from "../../../dashboard/dashboard-app.js";
import type { DecisionLog } from "../decisions/decision-log.js";
import { DecisionQueries } from "../decisions/decision-queries.js";
import type { Unfreezer } from "../operations/unfreeze.js";
import type { MatrixCall } from "../synapse/matrix-http.js";
import type { SqlExecutor } from "../../../storage/sql-database.js";
import { frozenPage } from "./frozen-page.js";
import { matrixLogin, type GuardPrincipal } from "./matrix-login.js";
import { overviewPage } from "./overview-page.js";
import { reportsPage, type ReportsPageDeps } from "./reports-page.js";
import { sweepsPage } from "./sweeps-page.js";

/** What the guard's dashboard is built from. */
export interface GuardDashboardDeps {
  readonly db: SqlExecutor;
  readonly decisions: DecisionLog;
  readonly unfreezer: Unfreezer;
  /** The reports feature, when `guard.reports` is configured. */
  readonly reports: ReportsPageDeps | undefined;
  readonly callAs: (token: string) => MatrixCall;
  readonly alertRoom: { readonly roomId: string; readonly call: MatrixCall } | undefined;
  readonly sessionTtlMs: number;
  readonly now: () => number;
  readonly onInternalError: (e: unknown) => void;
  readonly audit: (message: string, detail: Readonly<Record<string, string>>) => void;
}

/** The guard's dashboard app (not listening). */
export function guardDashboard(deps: GuardDashboardDeps): FastifyInstance {
  const queries = new DecisionQueries(deps.db);
  const pages: DashboardPage<GuardPrincipal>[] = [
    overviewPage(queries, deps.now),
    frozenPage(queries, deps.unfreezer, () => deps.decisions.flush()),
    ...(deps.reports === undefined ? [] : [reportsPage(deps.reports)]),
    sweepsPage(deps.db, deps.now),
  ];
  return createDashboardApp({
    product: "Redlight guard",
    login: matrixLogin({ callAs: deps.callAs, alertRoom: deps.alertRoom }),
    pages,
    sessionTtlMs: deps.sessionTtlMs,
    now: deps.now,
    onInternalError: deps.onInternalError,
    audit: deps.audit,
  });
}
