/**
 * The guard's policy rooms (`guard.policy_rooms`): the shared follower (src/policy), the
 * policy gate over its rules, the exemptions read from Synapse, and the alert room's
 * aggregate of rule changes (counts only). Composed by compose.ts; no decisions here.
 */
import type { GuardConfig } from "../../config/schema.js";
import type { Logger } from "../../observability/logger.js";
import { fetchMatrixPort } from "../../policy/fetch-matrix-port.js";
import { addChanges, type PolicyChange } from "../../policy/followed-room.js";
import { PolicyRoomFollower } from "../../policy/policy-room-follower.js";
import type { AlertSink } from "./alerts/alert-sender.js";
import { policyChangeText } from "./alerts/policy-change-text.js";
import { PolicyGate } from "./gates/policy-gate.js";
import type { MatrixCall } from "./synapse/matrix-http.js";
import { SynapsePolicyExemptions } from "./synapse/policy-exemptions.js";

/** Changes are told to the alert room at most this often (a sync burst is one message). */
const CHANGE_ALERT_EVERY_MS = 10_000;

/** The running parts of the guard's policy rooms. */
export interface GuardPolicyRooms {
  readonly gate: PolicyGate;
  readonly follower: PolicyRoomFollower;
  start(): void;
  stop(): Promise<void>;
  /** Problems for `/ready` (the last good rules stay in force). */
  warnings(): string[];
}

/** What the policy rooms need from the rest of the guard. */
export interface PolicyRoomsDeps {
  readonly readSecret: (path: string) => string;
  readonly logger: Logger;
  readonly admin: MatrixCall | undefined;
  readonly alertCall: MatrixCall | undefined;
  readonly alerts: AlertSink;
  readonly now: () => number;
  /** Tests pass a follower over a stand-in; production builds one from config. */
  readonly follower?: PolicyRoomFollower;
}

/** Composes the policy rooms of `guard`, or undefined without `guard.policy_rooms`. */
export function composePolicyRooms(
  guard: GuardConfig,
  deps: PolicyRoomsDeps,
): GuardPolicyRooms | undefined {
  const config = guard.policy_rooms;
  if (config === undefined) return undefined;
  const log = deps.logger.child({ component: "policy rooms" });
  const follower =
    deps.follower ??
    new PolicyRoomFollower({
      port: fetchMatrixPort(
        config.homeserver_url ?? guard.homeserver_url,
        deps.readSecret(config.access_token_file),
      ),
      rooms: config.rooms,
      log,
    });
  const exemptions = new SynapsePolicyExemptions({
    admin: deps.admin,
    alertRoom:
      deps.alertCall === undefined || guard.alerts === undefined
        ? undefined
        : { call: deps.alertCall, roomId: guard.alerts.room_id },
    now: deps.now,
    onFailure: (what, reason) =>
      log.warn({ what, reason }, "cannot tell whether a user is exempt from policy rules"),
  });
  let pending: PolicyChange | undefined;
  follower.onChange((change) => {
    pending = pending === undefined ? change : addChanges(pending, change);
  });
  const flush = () => {
    const text = pending === undefined ? undefined : policyChangeText(pending);
    pending = undefined;
    if (text !== undefined) deps.alerts.post("policy_change", text);
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    gate: new PolicyGate(follower, exemptions),
    follower,
    start() {
      if (deps.admin === undefined)
        log.warn(
          "guard.policy_rooms without guard.admin_token_file: server admins cannot be told apart, and policy rules apply to them",
        );
      follower.start();
      timer = setInterval(flush, CHANGE_ALERT_EVERY_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await follower.stop();
      flush();
    },
    warnings() {
      const status = follower.status();
      const degraded = status.rooms.filter((r) => r.state === "degraded").length;
      return [
        ...(status.degraded === undefined
          ? []
          : [`policy rooms: sync failing (${status.degraded}); the last good rules stay in force`]),
        ...(degraded === 0
          ? []
          : [`policy rooms: ${degraded} of ${status.rooms.length} not followed`]),
      ];
    },
  };
}
