/**
 * Lifting a freeze (spec, "Account Freezes": only the client asks its server to unfreeze).
 * The guard can do it because it holds the pseudonym secret: it recomputes the user's
 * keyed pseudonym, asks the lookup service to unfreeze it, forgets its own record of the
 * freeze and, with `freeze.suspend_account`, lifts the Synapse suspension. The same path
 * serves the CLI (through the operations listener) and the alert-room command.
 */
import type { Ljs4Hash, UserId } from "../../../core/ids.js";
import { err, ok, type Result } from "../../../core/result.js";
import { unfrozenAlert } from "../alerts/alert-text.js";
import type { AlertSink } from "../alerts/alert-sender.js";
import type { FrozenAccounts } from "../gates/frozen-accounts.js";
import { describeLookupFailure, type LookupClient } from "../lookup/lookup-client.js";
import type { SynapseAdmin } from "../synapse/synapse-admin.js";

/** Where an unfreeze was asked for. */
export type UnfreezeOrigin = "cli" | "alert_room" | "dashboard";

/** What an unfreeze did. */
export interface UnfreezeOutcome {
  /** The lookup service had the pseudonym frozen and lifted it. */
  readonly lifted: boolean;
  /** "lifted", "not configured" or the failure. */
  readonly suspension: string;
  /** One line for people (CLI output, alert room). */
  readonly summary: string;
}

/** What the unfreezer uses. */
export interface UnfreezerDeps {
  readonly lookup: LookupClient;
  readonly frozen: FrozenAccounts;
  readonly pseudonym: (user: UserId) => Ljs4Hash;
  /** Set when suspensions are on (lifted on unfreeze). */
  readonly suspender: SynapseAdmin | undefined;
  readonly alerts: AlertSink;
  readonly onResult?: (origin: string, result: "ok" | "failed") => void;
  /** Told each unfreeze asked for (the decisions log). */
  readonly onUnfreeze?: (user: UserId, origin: UnfreezeOrigin, ok: boolean) => void;
  readonly onUnsuspend?: (result: "ok" | "failed") => void;
}

/** Unfreezes accounts. */
export class Unfreezer {
  constructor(private readonly deps: UnfreezerDeps) {}

  /** Unfreezes `user`; `actor` names who asked (a moderator's user id, "the command line"). */
  async unfreeze(
    user: UserId,
    actor: string,
    origin: UnfreezeOrigin,
  ): Promise<Result<UnfreezeOutcome, string>> {
    const lookup = await this.deps.lookup.unfreeze(this.deps.pseudonym(user));
    if (!lookup.ok) {
      this.deps.onResult?.(origin, "failed");
      this.deps.onUnfreeze?.(user, origin, false);
      // Nothing changes locally: the freeze still stands at the lookup service.
      return err(
        `the lookup service could not unfreeze ${user} (${describeLookupFailure(lookup.error)}); nothing was changed`,
      );
    }
    this.deps.frozen.clear(this.deps.pseudonym(user));
    let suspension = "not configured";
    if (this.deps.suspender !== undefined) {
      const lifted = await this.deps.suspender.setSuspended(user, false);
      this.deps.onUnsuspend?.(lifted.ok ? "ok" : "failed");
      suspension = lifted.ok ? "lifted" : `failed (${lifted.error})`;
    }
    const detail = [
      lookup.value ? "The freeze is lifted." : "The lookup service had no freeze for this account.",
      suspension === "lifted" ? "The Synapse suspension is lifted." : "",
      suspension.startsWith("failed") ? `Lifting the Synapse suspension ${suspension}.` : "",
    ]
      .filter((s) => s !== "")
      .join(" ");
    this.deps.alerts.post("account_unfrozen", unfrozenAlert(user, actor, detail));
    this.deps.onResult?.(origin, "ok");
    this.deps.onUnfreeze?.(user, origin, true);
    return ok({ lifted: lookup.value, suspension, summary: `${user}: ${detail}` });
  }
}
