/**
 * The join gate (`user_may_join_room`), the heart of the spec's "Redlight client": ask the
 * lookup service before a local user joins a room and refuse a listed room in time.
 *
 * Order of questions, cheapest and safest first:
 *  1. a known frozen account is refused outright (it never passes, whatever else holds);
 *  2. a room found clean moments ago is allowed from the clean verdict cache;
 *  3. a room the user is already in (re-join, display-name or avatar change) is not a new
 *     attempt: it is checked without counting (batch `check`), and a listed one is reported
 *     as "user found inside a listed room";
 *  4. anything else is a lookup, which counts toward a freeze when the room is listed.
 * When the lookup service cannot answer, the configured fail mode decides.
 */
import type { Ljs4Hash, RoomId, UserId } from "../../../core/ids.js";
import type { FrozenAccounts, FrozenState } from "./frozen-accounts.js";
import type { LookupClient, LookupResult } from "../lookup/lookup-client.js";
import type { Membership } from "./room-facts.js";
import type { CleanVerdictCache } from "./verdict-cache.js";
import { allow, refuse, type Decision, type FailMode, type GuardEvent } from "./verdict.js";

export type { FailMode } from "./verdict.js";

/** One join attempt, decoded from the callback body. */
export interface JoinAttempt {
  readonly user: UserId;
  readonly room: RoomId;
  readonly invited: boolean;
}

/** What the join gate consults. */
export interface JoinGateDeps {
  readonly lookup: LookupClient;
  readonly frozen: FrozenAccounts;
  readonly cache: CleanVerdictCache;
  readonly membership: Membership;
  readonly pseudonym: (user: UserId) => Ljs4Hash;
  readonly failMode: FailMode;
  readonly now: () => number;
}

/** Decides `user_may_join_room`. */
export class JoinGate {
  constructor(private readonly deps: JoinGateDeps) {}

  async decide(attempt: JoinAttempt): Promise<Decision> {
    const { frozen, cache, membership, pseudonym, now } = this.deps;
    const { user, room } = attempt;
    const pseudo = pseudonym(user);
    const frozenState = frozen.state(pseudo, now());
    if (frozenState === "frozen") return refuse("frozen", "account_restricted");
    if (frozenState === "not_frozen") {
      if (cache.isClean(room, now())) return allow("cached_clean");
      if ((await membership.isJoined(user, room)) === true) return this.alreadyJoined(user, room);
    }
    const result = await this.deps.lookup.lookup(room, pseudo);
    return this.fromLookup(attempt, pseudo, frozenState, result);
  }

  private fromLookup(
    attempt: JoinAttempt,
    pseudo: Ljs4Hash,
    frozenState: FrozenState,
    result: LookupResult,
  ): Decision {
    const { frozen, cache, now } = this.deps;
    const { user, room } = attempt;
    switch (result.kind) {
      case "clean":
        frozen.clear(pseudo); // asked again after a freeze: the provider has lifted it
        cache.rememberClean(room, now());
        return allow("clean");
      case "listed": {
        cache.forget(room);
        const events: GuardEvent[] = [
          { kind: "join_refused", user, room, listed: result.listed, invited: attempt.invited },
        ];
        if (result.frozeNow) {
          frozen.markFrozen(pseudo, now());
          events.push({ kind: "account_frozen", user, local: true, via: "hit" });
        } else {
          frozen.clear(pseudo);
        }
        return refuse("listed", "join_refused", events);
      }
      case "frozen": {
        const isNew = frozen.markFrozen(pseudo, now());
        const events: GuardEvent[] = isNew
          ? [{ kind: "account_frozen", user, local: true, via: "lookup" }]
          : [];
        return refuse("frozen", "account_restricted", events);
      }
      case "rate_limited":
        return refuse("rate_limited", "rate_limited", [], result.retryAfterMs);
      case "unavailable":
        // A known freeze stands while it cannot be re-checked.
        if (frozenState !== "not_frozen") return refuse("frozen", "account_restricted");
        return this.failMode();
    }
  }

  /**
   * A user already in the room: nothing new is reached by letting the membership update
   * through, and it must not count toward a freeze. A listed room is still refused (the
   * user stays joined; Synapse keeps their old display name there) and reported.
   */
  private async alreadyJoined(user: UserId, room: RoomId): Promise<Decision> {
    const result = await this.deps.lookup.check([room]);
    if (result.kind !== "checked") return allow("already_joined");
    const listed = result.listed.get(room);
    if (listed === undefined) {
      this.deps.cache.rememberClean(room, this.deps.now());
      return allow("already_joined");
    }
    this.deps.cache.forget(room);
    return refuse("listed_member", "join_refused", [{ kind: "found_inside", user, room, listed }]);
  }

  private failMode(): Decision {
    const mode = this.deps.failMode;
    const events = [{ kind: "fail_mode_applied", mode } as const];
    return mode === "open"
      ? allow("fail_open", events)
      : refuse("fail_closed", "unavailable", events);
  }
}
