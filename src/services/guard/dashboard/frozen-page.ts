/**
 * The guard dashboard's frozen accounts: those the guard saw frozen and has not unfrozen
 * since, each with an unfreeze button. Unfreezing goes through the same `Unfreezer` as the
 * CLI and the alert-room command (src/services/guard/operations/unfreeze.ts), so the alert
 * room hears of it and the Synapse suspension is lifted.
 */
import { parseUserId } from "../../../core/ids.js";
import type { DashboardPage } from "../../../dashboard/dashboard-app.js";
import { esc, isoTime, postButton, table } from "../../../dashboard/html.js";
import type { DecisionQueries } from "../decisions/decision-queries.js";
import type { Unfreezer } from "../operations/unfreeze.js";
import type { GuardPrincipal } from "./matrix-login.js";

/** The frozen accounts page. */
export function frozenPage(
  queries: DecisionQueries,
  unfreezer: Unfreezer,
  /** Writes the decisions log now, so the page shows the unfreeze at once. */
  settle: () => Promise<void>,
): DashboardPage<GuardPrincipal> {
  return {
    path: "/frozen",
    title: "Frozen accounts",
    async render({ csrf }) {
      const frozen = await queries.frozenAccounts();
      return table(
        ["account", "frozen at", "how", ""],
        frozen.map((f) => [
          esc(f.userId),
          esc(isoTime(f.frozenAt)),
          esc(f.via === "hit" ? "a hit froze it" : "already frozen at the lookup service"),
          postButton("/frozen/unfreeze", csrf, "Unfreeze", { user_id: f.userId }),
        ]),
      );
    },
    actions: {
      async unfreeze(principal, form) {
        const user = parseUserId(form.get("user_id") ?? "");
        if (!user.ok) return { ok: false, text: "not a user id; nothing was changed" };
        const outcome = await unfreezer.unfreeze(user.value, principal.userId, "dashboard");
        await settle().catch(() => undefined);
        return outcome.ok
          ? { ok: true, text: outcome.value.summary }
          : { ok: false, text: outcome.error };
      },
    },
  };
}
