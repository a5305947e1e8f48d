/**
 * The provider dashboard's freezes per client: how many pseudonyms each client has frozen
 * and the latest freeze. Pseudonyms are shown only to the client that owns them (through
 * its own lookups and the CLI), never here.
 */
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, table } from "../../../dashboard/html.js";
import type { Storage } from "../../../storage/storage.js";

/** The freezes page. */
export function freezesPage<P>(storage: Storage): DashboardPage<P> {
  return {
    path: "/freezes",
    title: "Freezes",
    async render() {
      const byClient = new Map<string, { count: number; latest: number }>();
      for (const f of await storage.listFreezes()) {
        const known = byClient.get(f.client) ?? { count: 0, latest: 0 };
        byClient.set(f.client, {
          count: known.count + 1,
          latest: Math.max(known.latest, f.frozenAt),
        });
      }
      const rows = [...byClient]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([client, v]) => [esc(client), esc(v.count), esc(isoTime(v.latest))]);
      return table(["client", "frozen pseudonyms", "latest freeze"], rows);
    },
  };
}
