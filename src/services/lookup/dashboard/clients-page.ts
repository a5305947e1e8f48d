/**
 * The provider dashboard's clients: each whitelisted homeserver with its scopes, quota use
 * (this process's sliding-window estimate against the client quota), hits over the last
 * 30 days and when it was last seen; revoke and rotate buttons (a rotated token is shown
 * once). Changes reach every lookup process at the next state sync, as with the CLI.
 */
import { generateToken, tokenHash } from "../../../core/token.js";
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, postButton, table } from "../../../dashboard/html.js";
import { stackedBarChart } from "../../../dashboard/svg-chart.js";
import type { AuditReader } from "../../../storage/audit-counts.js";
import type { Storage } from "../../../storage/storage.js";
import type { ProviderAdmin } from "./admin-login.js";

const DAY_MS = 86_400_000;
const CHART_DAYS = 30;

/** What the clients page reads and changes. */
export interface ClientsPageDeps {
  readonly storage: Storage;
  readonly audit: AuditReader;
  /** The sliding-window estimate of a client's lookups, and the quota's limit. */
  readonly quotaUse: (client: string) => { used: number; limit: number };
  readonly now: () => number;
}

/** The clients page. */
export function clientsPage(deps: ClientsPageDeps): DashboardPage<ProviderAdmin> {
  return {
    path: "/",
    title: "Clients",
    async render({ csrf }) {
      const now = deps.now();
      const from = Math.floor(now / DAY_MS) * DAY_MS - (CHART_DAYS - 1) * DAY_MS;
      const [clients, hits, lastSeen] = await Promise.all([
        deps.storage.listClients(),
        deps.audit.hitsByDay(from, now + 1),
        deps.audit.lastSeen(),
      ]);
      const hitsOf = new Map<string, number>();
      for (const h of hits) hitsOf.set(h.client, (hitsOf.get(h.client) ?? 0) + h.count);
      const rows = clients.map((c) => {
        const quota = deps.quotaUse(c.name);
        const seen = lastSeen.get(c.name);
        const actions =
          c.revokedAt === null
            ? `${postButton("/revoke", csrf, "Revoke", { name: c.name })} ${postButton("/rotate", csrf, "Rotate token", { name: c.name })}`
            : "";
        return [
          esc(c.name),
          c.revokedAt === null ? "active" : esc(`revoked ${isoTime(c.revokedAt)}`),
          esc(c.scopes.join(", ") || "-"),
          esc(`${Math.round(quota.used)} / ${quota.limit}`),
          esc(hitsOf.get(c.name) ?? 0),
          seen === undefined ? "never" : esc(isoTime(seen)),
          actions,
        ];
      });
      const days = Array.from({ length: CHART_DAYS }, (_, i) => from + i * DAY_MS);
      const names = [...new Set(hits.map((h) => h.client))].sort();
      const chart = stackedBarChart(
        days.map((d) => isoTime(d).slice(5, 10)),
        names.map((name) => ({
          label: name,
          values: days.map((d) =>
            hits.filter((h) => h.client === name && h.day === d).reduce((s, h) => s + h.count, 0),
          ),
        })),
        { title: "Hits per day by client", width: 640 },
      );
      return `${table(["client", "state", "scopes", "quota use (now)", `hits (${CHART_DAYS} d)`, "last seen", ""], rows)}
<h2>Hits over time</h2><figure><figcaption>Hits per day by client</figcaption>${chart}</figure>`;
    },
    actions: {
      async revoke(_admin, form) {
        const name = form.get("name") ?? "";
        const done = await deps.storage.revokeClient(name, deps.now());
        return done
          ? {
              ok: true,
              text: `revoked ${name}; every lookup process refuses it after its next sync`,
            }
          : { ok: false, text: `no active client named ${name}; nothing was changed` };
      },
      async rotate(_admin, form) {
        const name = form.get("name") ?? "";
        const token = generateToken();
        const done = await deps.storage.rotateToken(name, tokenHash(token), deps.now());
        return done
          ? {
              ok: true,
              text: `new token for ${name}; the old one stops working after the next sync`,
              secret: token,
            }
          : { ok: false, text: `no active client named ${name}; nothing was changed` };
      },
    },
  };
}
