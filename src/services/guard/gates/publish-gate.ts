/**
 * The publish gate (`user_may_publish_room`): a room is not published in the room
 * directory when it is listed, or when its name or topic matches a term list. The
 * directory is an advertising channel; refusing the publication keeps a
 * listed room out of it at the source, and the directory filter hides what slips past
 * (Synapse publishes at room creation and on upgrades without asking this callback).
 *
 * The lookup here is the non-counting batch `check`: publishing is not an attempt to
 * reach a room, so it never moves the publisher toward a freeze.
 */
import type { RoomId, UserId } from "../../../core/ids.js";
import type { TermMatcher } from "../../../core/text/index.js";
import type { FailMode } from "./join-gate.js";
import type { LookupClient } from "../lookup/lookup-client.js";
import type { RoomTextSource } from "./room-facts.js";
import { allow, refuse, type Decision } from "./verdict.js";

/** One publication, decoded from a callback body. */
export interface PublishAttempt {
  readonly user: UserId;
  readonly room: RoomId;
}

/** What the publish gate consults. */
export interface PublishGateDeps {
  readonly lookup: LookupClient;
  /** Undefined when no term lists are configured. */
  readonly terms: TermMatcher | undefined;
  readonly roomTexts: RoomTextSource;
  readonly failMode: FailMode;
}

/** Decides publications in the room directory. */
export class PublishGate {
  constructor(private readonly deps: PublishGateDeps) {}

  async decide({ user, room }: PublishAttempt): Promise<Decision> {
    const [check, listId] = await Promise.all([
      this.deps.lookup.check([room]),
      this.matchTerms(room),
    ]);
    if (check.kind === "checked") {
      const listed = check.listed.get(room);
      if (listed !== undefined) {
        return refuse("listed", "publish_refused", [
          { kind: "publish_refused", user, room, reason: "listed", listed },
        ]);
      }
    }
    if (listId !== undefined) {
      return refuse("room_terms", "publish_refused", [
        { kind: "publish_refused", user, room, reason: "room_terms", listId },
      ]);
    }
    if (check.kind === "checked") return allow("clean");
    // The client's quota is used up: the lookup service is up, so this is no outage and
    // no fail mode; the publisher is asked to retry, as a rate-limited join is.
    if (check.kind === "rate_limited")
      return refuse("rate_limited", "rate_limited", [], check.retryAfterMs);
    // Unreachable, or the client lacks the `directory` scope: the fail mode decides.
    // Only an outage counts as a fail-mode decision for the "restored" alert.
    const mode = this.deps.failMode;
    const events =
      check.kind === "unavailable" ? [{ kind: "fail_mode_applied", mode } as const] : [];
    return mode === "open"
      ? allow("fail_open", events)
      : refuse("fail_closed", "unavailable", events);
  }

  /** The id of the first term list the room's name or topic matches. */
  private async matchTerms(room: RoomId): Promise<string | undefined> {
    const { terms } = this.deps;
    if (terms === undefined) return undefined;
    const texts = await this.deps.roomTexts.textsOf(room);
    for (const text of [texts?.name, texts?.topic]) {
      if (text === undefined || text === "") continue;
      const match = terms.match(text);
      if (match.matched) return match.listId;
    }
    return undefined;
  }
}
