/**
 * The invite gate (`user_may_invite` for local inviters, `federated_user_may_invite` for
 * invites from other servers). Invite spam often comes from rooms whose very names are
 * abusive, so besides the lookup it checks the room's name and topic against the
 * operator's term lists, and (for remote inviters) the per-server policy.
 *
 * A lookup for an invite is made with the *inviter's* pseudonym: pulling others into a
 * listed room is an attempt on it, and counting it lets the lookup service freeze a
 * spammer, whose later invites are then refused without asking. The invitee is never
 * looked up: a victim of invite spam must not move toward a freeze.
 */
import { serverOf, type Ljs4Hash, type RoomId, type UserId } from "../../../core/ids.js";
import type { TermMatcher } from "../../../core/text/index.js";
import type { FrozenAccounts } from "./frozen-accounts.js";
import type { ServerPolicy } from "./invite-policy.js";
import type { FailMode } from "./join-gate.js";
import type { LookupClient } from "../lookup/lookup-client.js";
import type { RoomTextSource } from "./room-facts.js";
import type { RoomTexts } from "../../../protocol/antispam.js";
import type { CleanVerdictCache } from "./verdict-cache.js";
import { allow, refuse, type Decision, type GuardEvent, type RefuseReason } from "./verdict.js";

/** One invite, decoded from a callback body. */
export interface InviteAttempt {
  readonly inviter: UserId;
  readonly invitee: UserId;
  readonly room: RoomId;
  /** From another homeserver (`federated_user_may_invite`). */
  readonly remote: boolean;
  /** Stripped room state sent with a federated invite; local invites ask the server. */
  readonly texts?: RoomTexts;
}

/** What the invite gate consults. */
export interface InviteGateDeps {
  readonly lookup: LookupClient;
  readonly frozen: FrozenAccounts;
  readonly cache: CleanVerdictCache;
  readonly servers: ServerPolicy;
  /** Undefined when no term lists are configured. */
  readonly terms: TermMatcher | undefined;
  readonly roomTexts: RoomTextSource;
  readonly pseudonym: (user: UserId) => Ljs4Hash;
  readonly failMode: { readonly local: FailMode; readonly remote: FailMode };
  readonly now: () => number;
}

/** Decides invites. */
export class InviteGate {
  constructor(private readonly deps: InviteGateDeps) {}

  async decide(invite: InviteAttempt): Promise<Decision> {
    const { frozen, cache, now } = this.deps;
    const refused = (
      reason: RefuseReason,
      detail?: string,
      more: GuardEvent[] = [],
      retryAfterMs?: number,
    ) =>
      refuse(
        reason,
        reason === "rate_limited" ? "rate_limited" : "invite_refused",
        [
          ...more,
          {
            kind: "invite_refused",
            inviter: invite.inviter,
            room: invite.room,
            reason,
            ...(detail === undefined ? {} : { detail }),
          },
        ],
        retryAfterMs,
      );

    if (invite.remote) {
      const server = this.deps.servers.check(serverOf(invite.inviter));
      if (!server.allowed) return refused("server_policy", server.rule);
    }
    const termList = await this.matchTerms(invite);
    if (termList !== undefined) return refused("room_terms", termList);

    const pseudo = this.deps.pseudonym(invite.inviter);
    const frozenState = frozen.state(pseudo, now());
    if (frozenState === "frozen") return refused("frozen");
    if (frozenState === "not_frozen" && cache.isClean(invite.room, now()))
      return allow("cached_clean");

    const result = await this.deps.lookup.lookup(invite.room, pseudo);
    const local = !invite.remote;
    switch (result.kind) {
      case "clean":
        frozen.clear(pseudo);
        cache.rememberClean(invite.room, now());
        return allow("clean");
      case "listed": {
        cache.forget(invite.room);
        if (!result.frozeNow) return refused("listed");
        frozen.markFrozen(pseudo, now());
        return refused("listed", undefined, [
          { kind: "account_frozen", user: invite.inviter, local, via: "hit" },
        ]);
      }
      case "frozen": {
        const isNew = frozen.markFrozen(pseudo, now());
        const freeze: GuardEvent[] = isNew
          ? [{ kind: "account_frozen", user: invite.inviter, local, via: "lookup" }]
          : [];
        return refused("frozen", undefined, freeze);
      }
      case "rate_limited":
        // The delay goes to the inviter, as for a join (M_LIMIT_EXCEEDED, retry_after_ms).
        return refused("rate_limited", undefined, [], result.retryAfterMs);
      case "unavailable": {
        if (frozenState !== "not_frozen") return refused("frozen");
        const mode = invite.remote ? this.deps.failMode.remote : this.deps.failMode.local;
        const events = [{ kind: "fail_mode_applied", mode } as const];
        return mode === "open"
          ? allow("fail_open", events)
          : refused("fail_closed", undefined, [...events]);
      }
    }
  }

  /** The id of the first term list the room's name or topic matches. */
  private async matchTerms(invite: InviteAttempt): Promise<string | undefined> {
    const { terms } = this.deps;
    if (terms === undefined) return undefined;
    const texts = invite.texts ?? (await this.deps.roomTexts.textsOf(invite.room));
    for (const text of [texts?.name, texts?.topic]) {
      if (text === undefined || text === "") continue;
      const match = terms.match(text);
      if (match.matched) return match.listId;
    }
    return undefined;
  }
}
