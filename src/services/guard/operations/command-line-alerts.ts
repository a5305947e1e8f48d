/**
 * The alert room for a one-off command (`redlight guard unfreeze`, `redlight guard sweep`)
 * that runs without the guard: a sender of its own, with a few attempts per alert.
 */
import type { GuardConfig } from "../../../config/schema.js";
import { readSecretFile } from "../../../config/secrets.js";
import { MatrixAlertSender } from "../alerts/alert-sender.js";
import { matrixCaller } from "../synapse/matrix-http.js";

const CALL_TIMEOUT_MS = 10_000;

/** A sender to `guard.alerts`' room, or undefined without an alert room. */
export function commandLineAlertSender(guard: GuardConfig): MatrixAlertSender | undefined {
  if (guard.alerts === undefined) return undefined;
  return new MatrixAlertSender({
    call: matrixCaller(
      guard.homeserver_url,
      readSecretFile(guard.alerts.access_token_file),
      CALL_TIMEOUT_MS,
    ),
    roomId: guard.alerts.room_id,
    maxAttempts: 3,
  });
}
