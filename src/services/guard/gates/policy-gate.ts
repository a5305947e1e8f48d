/**
 * The policy gate: rules of followed Matrix policy rooms (MSC2313; src/policy), asked
 * before the lookup service. User rules (exact, glob, MSC4205 hash) and server rules refuse
 * invites from matching inviters; room rules (`m.ban`, `m.takedown`) refuse joins and
 * invites to the rooms they name — also for a guard with no lookup service.
 *
 * Guard rails learned by the moderation bots that act on these lists: a policy never
 * applies to the homeserver's admins or the alert room's moderators (they must be able to
 * undo a bad rule); a removed rule stops applying at the next sync batch (the snapshot is
 * rebuilt on each change); a policy only refuses, it never removes, kicks or suspends.
 */
import { ljs4Hash } from "../../../core/hash.js";
import { serverOf, type RoomId, type UserId } from "../../../core/ids.js";
import type { ListedRoom as PolicyListed } from "../../../core/source-list.js";
import type { PolicyMatcher } from "../../../policy/matcher.js";
import type { RecommendationTags } from "../../../policy/ruleset.js";
import type { InviteAttempt } from "./invite-gate.js";
import type { JoinAttempt } from "./join-gate.js";
import { refuse, type Decision } from "./verdict.js";

/** Who a policy never applies to; implemented over Synapse (synapse/policy-exemptions.ts). */
export interface PolicyExemptions {
  /** A server admin of this homeserver, or a moderator of the alert room. */
  isExempt(user: UserId): Promise<boolean>;
}

/** The rules in force, as the policy room follower offers them. */
export interface PolicyRules {
  matcher(): PolicyMatcher;
  listedRooms(tags: RecommendationTags): PolicyListed[];
  onChange(listener: () => void): void;
}

// Room rules carry their recommendation as the tag the alert shows.
const TAGS: RecommendationTags = { ban: ["ban"], takedown: ["takedown"] };

/** Decides by policy rules alone; undefined when no rule applies (the other gates decide). */
export class PolicyGate {
  private matcher: PolicyMatcher;
  private rooms: ReadonlyMap<string, { reportId: string; tags: readonly string[] }>;

  constructor(
    private readonly rules: PolicyRules,
    private readonly exemptions: PolicyExemptions,
  ) {
    [this.matcher, this.rooms] = this.snapshot();
    rules.onChange(() => ([this.matcher, this.rooms] = this.snapshot()));
  }

  async join(attempt: JoinAttempt): Promise<Decision | undefined> {
    const listed = this.rooms.get(ljs4Hash(attempt.room));
    if (listed === undefined || (await this.exemptions.isExempt(attempt.user))) return undefined;
    return refuse("policy_rule", "join_refused", [
      {
        kind: "join_refused",
        user: attempt.user,
        room: attempt.room,
        listed,
        invited: attempt.invited,
      },
    ]);
  }

  async invite(invite: InviteAttempt): Promise<Decision | undefined> {
    const rule = this.inviteRule(invite.inviter, invite.room);
    if (rule === undefined || (await this.exemptions.isExempt(invite.inviter))) return undefined;
    return refuse("policy_rule", "invite_refused", [
      {
        kind: "invite_refused",
        inviter: invite.inviter,
        room: invite.room,
        reason: "policy_rule",
        detail: rule,
      },
    ]);
  }

  /** Which kind of rule refuses this invite, if any. */
  private inviteRule(inviter: UserId, room: RoomId): string | undefined {
    if (this.matcher.matchesUser(inviter) !== undefined) return "user rule";
    if (this.matcher.matchesServer(serverOf(inviter)) !== undefined) return "server rule";
    if (this.rooms.has(ljs4Hash(room))) return "room rule";
    return undefined;
  }

  private snapshot(): [PolicyMatcher, Map<string, { reportId: string; tags: readonly string[] }>] {
    const rooms = new Map<string, { reportId: string; tags: readonly string[] }>();
    for (const r of this.rules.listedRooms(TAGS)) {
      const hash = typeof r.hash === "string" ? r.hash : r.hash.toString("hex");
      const had = rooms.get(hash);
      // One room in several rules: the strongest recommendation shows.
      if (had === undefined || r.tags.includes("takedown"))
        rooms.set(hash, { reportId: r.reportId, tags: r.tags });
    }
    return [this.rules.matcher(), rooms];
  }
}
