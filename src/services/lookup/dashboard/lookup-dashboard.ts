/**
 * The provider's dashboard (`lookup.dashboard`): admin-token login and its pages, listed
 * in one array; a feature adds its page (the review queue) with one line here.
 */
import type { FastifyInstance } from "fastify";
import { createDashboardApp, type DashboardPage } from "../../../dashboard/dashboard-app.js";
import type { AuditReader } from "../../../storage/audit-counts.js";
import type { Storage } from "../../../storage/storage.js";
import { adminTokenLogin, type ProviderAdmin } from "./admin-login.js";
import { clientsPage } from "./clients-page.js";
import { freezesPage } from "./freezes-page.js";
import type { ListHealth } from "./list-health.js";
import { listPage } from "./list-page.js";
import { reviewPage } from "./review-page.js";
import type { ReviewDecisionDeps } from "../review/review-decisions.js";

/** What the provider's dashboard is built from. */
export interface LookupDashboardDeps {
  readonly adminToken: string;
  readonly storage: Storage;
  readonly audit: AuditReader;
  readonly listHealth: ListHealth;
  /** The review queue's decisions, when `lookup.reports` is configured. */
  readonly reviews: ReviewDecisionDeps | undefined;
  readonly quotaUse: (client: string) => { used: number; limit: number };
  readonly sessionTtlMs: number;
  readonly now: () => number;
  readonly onInternalError: (e: unknown) => void;
  readonly log: (message: string, detail: Readonly<Record<string, string>>) => void;
}

/** The provider's dashboard app (not listening). */
export function lookupDashboard(deps: LookupDashboardDeps): FastifyInstance {
  const pages: DashboardPage<ProviderAdmin>[] = [
    clientsPage(deps),
    listPage(deps.listHealth),
    freezesPage(deps.storage),
    ...(deps.reviews === undefined ? [] : [reviewPage(deps.reviews)]),
  ];
  return createDashboardApp({
    product: "Redlight provider",
    login: adminTokenLogin(deps.adminToken),
    pages,
    sessionTtlMs: deps.sessionTtlMs,
    now: deps.now,
    onInternalError: deps.onInternalError,
    audit: deps.log,
  });
}
