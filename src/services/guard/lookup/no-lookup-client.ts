/**
 * The lookup client of a guard with no lookup service (`guard.lookup` left out, only
 * `guard.policy_rooms`): every room is unlisted, no account is frozen, and the lookup
 * service is never "unavailable" — so no fail mode and no degraded alert applies to a
 * service that does not exist. The policy gate decides before this is asked.
 */
import type { Ljs4Hash, RoomId } from "../../../core/ids.js";
import { ok } from "../../../core/result.js";
import type { CheckResult, LookupClient, LookupResult } from "./lookup-client.js";

/** Answers "not listed" to everything. */
export class NoLookupService implements LookupClient {
  lookup(_room: RoomId, _user: Ljs4Hash): Promise<LookupResult> {
    return Promise.resolve({ kind: "clean" });
  }

  check(_rooms: readonly RoomId[]): Promise<CheckResult> {
    return Promise.resolve({ kind: "checked", listed: new Map() });
  }

  unfreeze(_user: Ljs4Hash) {
    return Promise.resolve(ok(false));
  }

  /** No list, so no version: sweeps run on their interval only. */
  listVersion() {
    return Promise.resolve(ok(undefined));
  }
}
