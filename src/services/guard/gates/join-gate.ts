/**
 * The join gate (`user_may_join_room`), the heart of the spec's "Redlight client": ask the
 * lookup service before a local user joins a room and refuse a listed room in time.
 *
 * Order of questions, cheapest and safest first:
 *  1. a known frozen account is refused outright (it never passes, whatever else holds);
 *  2. a room found clean moments ago is allowed from the clean verdict cache;
 *  3. the non-counting batch `check` asks whether the room is listed; a clean room is
 *     allowed (and cached) without asking Synapse anything;
 *  4. only for a listed room does it matter whether the user is already in it (re-join,
 *     display-name or avatar change): that is not a new attempt, so it is refused without
 *     counting and reported as "user found inside a listed room";
 *  5. a listed room the user is not in is a lookup, which counts toward a freeze.
 * Without the batch check (no `directory` scope, or a 429) membership is asked first, as
 * before the check existed. When the lookup service cannot answer, the fail mode decides.
 */
import type { Ljs4Hash, RoomId, UserId } from "../../../core/ids.js";
import type { FrozenAccounts, FrozenState } from "./frozen-accounts.js";
import type { LookupClient, LookupResult } from "../lookup/lookup-client.js";
import type { Membership } from "./room-facts.js";
import type { CleanVerdictCache } from "./verdict-cache.js";
import { allow, refuse, type Decision, type FailMode, type GuardEvent } from "./verdict.js";

/** How long a lookup service that refused the batch check is not asked for it again. */
const CHECK_RETRY_MS = 5 * 60_000;

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
  /** Until when the batch check is known to be refused (`unsupported`). */
  private checkUnsupportedUntil = -Infinity;

  constructor(private readonly deps: JoinGateDeps) {}

  async decide(attempt: JoinAttempt): Promise<Decision> {
    const { frozen, cache, pseudonym, now } = this.deps;
    const { user, room } = attempt;
    const pseudo = pseudonym(user);
    const frozenState = frozen.state(pseudo, now());
    if (frozenState === "frozen") return refuse("frozen", "account_restricted");
    if (frozenState === "not_frozen") {
      if (cache.isClean(room, now())) return allow("cached_clean");
      const decided = await this.checkFirst(user, room);
      if (decided !== undefined) return decided;
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
   * The non-counting batch check, before anything else is asked: most joins are to clean
   * rooms, and those then need neither Synapse's admin API (called from inside Synapse's own
   * callback) nor a counting lookup. Answers undefined when the counting lookup decides.
   */
  private async checkFirst(user: UserId, room: RoomId): Promise<Decision | undefined> {
    const { lookup, cache, now } = this.deps;
    if (this.checkUnsupportedUntil > now()) return this.membershipFirst(user, room);
    const result = await lookup.check([room]);
    switch (result.kind) {
      case "checked": {
        const listed = result.listed.get(room);
        if (listed === undefined) {
          cache.rememberClean(room, now());
          return allow("clean");
        }
        cache.forget(room);
        if ((await this.deps.membership.isJoined(user, room)) !== true) return undefined;
        // A re-join or profile change: nothing new is reached, and it must not count.
        return refuse("listed_member", "join_refused", [
          { kind: "found_inside", user, room, listed },
        ]);
      }
      case "unavailable":
        // The lookup service did not answer just now: a lookup would wait out a second
        // deadline for the same outcome. A user already inside is let through, as ever.
        if ((await this.deps.membership.isJoined(user, room)) === true) {
          return allow("already_joined");
        }
        return this.failMode();
      case "unsupported":
        this.checkUnsupportedUntil = now() + CHECK_RETRY_MS;
        return this.membershipFirst(user, room);
      case "rate_limited":
        // The check's quota is the client's; the lookup answers for itself (429 or not).
        return this.membershipFirst(user, room);
    }
  }

  /**
   * Without the batch check: a user already in the room is let through unchecked (it must
   * not count toward a freeze, and nothing non-counting can be asked); anyone else is
   * looked up.
   */
  private async membershipFirst(user: UserId, room: RoomId): Promise<Decision | undefined> {
    const joined = await this.deps.membership.isJoined(user, room);
    return joined === true ? allow("already_joined") : undefined;
  }

  private failMode(): Decision {
    const mode = this.deps.failMode;
    const events = [{ kind: "fail_mode_applied", mode } as const];
    return mode === "open"
      ? allow("fail_open", events)
      : refuse("fail_closed", "unavailable", events);
  }
}
