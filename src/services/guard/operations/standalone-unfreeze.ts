/**
 * Unfreezing without a running guard (the CLI's fallback when the guard's operations
 * listener does not answer): the same Unfreezer, wired to the lookup service, the admin
 * API and the alert room from the config, then waiting for the alert to go out.
 */
import { durationMs, type GuardConfig } from "../../../config/schema.js";
import { readSecretFile } from "../../../config/secrets.js";
import { keyedUserPseudonym } from "../../../core/hash.js";
import type { UserId } from "../../../core/ids.js";
import { err, type Result } from "../../../core/result.js";
import { LogOnlyAlertSink } from "../alerts/alert-sender.js";
import { FrozenAccounts } from "../gates/frozen-accounts.js";
import { StandardLookupClient } from "../lookup/lookup-client.js";
import { matrixCaller } from "../synapse/matrix-http.js";
import { SynapseAdmin } from "../synapse/synapse-admin.js";
import { Unfreezer, type UnfreezeOutcome } from "./unfreeze.js";
import { commandLineAlertSender } from "./command-line-alerts.js";

/** Unfreezes `user` directly; `log` receives alert text when there is no alert room. */
export async function unfreezeStandalone(
  guard: GuardConfig,
  user: UserId,
  actor: string,
  log: (line: string) => void,
): Promise<Result<UnfreezeOutcome, string>> {
  if (guard.lookup === undefined)
    return err("no guard.lookup: freezes are the lookup service's, and none is configured");
  const secret = readSecretFile(guard.pseudonym_secret_file);
  const lookup = new StandardLookupClient({
    baseUrl: guard.lookup.url,
    token: readSecretFile(guard.lookup.api_token_file),
    timeoutMs: Math.max(durationMs(guard.lookup.timeout), 5_000), // a person is waiting, not Synapse
  });
  const suspender =
    guard.freeze.suspend_account && guard.admin_token_file !== undefined
      ? new SynapseAdmin(
          matrixCaller(guard.homeserver_url, readSecretFile(guard.admin_token_file), 10_000),
        )
      : undefined;
  const sender = commandLineAlertSender(guard);
  const unfreezer = new Unfreezer({
    lookup,
    frozen: new FrozenAccounts(0),
    pseudonym: (u) => keyedUserPseudonym(secret, u),
    suspender,
    alerts: sender ?? new LogOnlyAlertSink((_kind, text) => log(text)),
  });
  const outcome = await unfreezer.unfreeze(user, actor, "cli");
  lookup.close();
  await sender?.stop(15_000);
  return outcome;
}
