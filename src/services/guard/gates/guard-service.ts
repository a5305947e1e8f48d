/**
 * The guard's answer to one callback, independent of HTTP: decode the body, ask the right
 * gate, hand the decision's events to the reactions, count it, and turn the verdict into
 * the wire answer. A body that does not decode, and even a bug inside a gate, gets a
 * deliberate answer by the callback's fail mode; nothing here throws.
 */
import type { Result } from "../../../core/result.js";
import type { Logger } from "../../../observability/logger.js";
import {
  decodeFederatedInvite,
  decodeJoin,
  decodeLocalInvite,
  decodePublish,
} from "../../../protocol/antispam.js";
import type { InviteGate } from "./invite-gate.js";
import type { FailMode, JoinGate } from "./join-gate.js";
import type { RefusalMessages, WireAnswer } from "./messages.js";
import { ALLOW } from "./messages.js";
import type { GuardMetrics } from "../metrics/guard-metrics.js";
import type { PolicyGate } from "./policy-gate.js";
import type { PublishGate } from "./publish-gate.js";
import {
  GATED_CALLBACKS,
  allow,
  refuse,
  type Decision,
  type GatedCallback,
  type GuardEvent,
} from "./verdict.js";

/** What acts on the events of decisions; implemented by the alerts' `Reactions`. */
export interface EventHandler {
  /** Takes the events of one decision; returns at once. */
  handle(events: readonly GuardEvent[]): void;
}

/** What the service uses. */
export interface GuardServiceDeps {
  readonly join: JoinGate;
  readonly invite: InviteGate;
  readonly publish: PublishGate;
  /** Rules of followed policy rooms, asked first (with `guard.policy_rooms`). */
  readonly policy?: PolicyGate;
  readonly messages: RefusalMessages;
  /** Acts on each decision's events after the answer (alerts, suspensions). */
  readonly reactions: EventHandler;
  /**
   * Told each decision after the answer is known (the decisions log); returns at once.
   * `asKnock`: a knock the client-API proxy decided as a join.
   */
  readonly onDecision?: (callback: GatedCallback, decision: Decision, asKnock: boolean) => void;
  readonly failModes: Readonly<Record<GatedCallback, FailMode>>;
  readonly metrics: GuardMetrics;
  readonly logger: Logger;
}

type Body = Readonly<Record<string, unknown>>;

const isGated = (name: string): name is GatedCallback =>
  (GATED_CALLBACKS as readonly string[]).includes(name);

/** Answers antispam callbacks. */
export class GuardService {
  constructor(private readonly deps: GuardServiceDeps) {}

  /**
   * The answer to `POST …/{callback}` with a body already parsed as a JSON object (or not).
   * `asKnock`: the knock gate asks the join decision for a knock, recorded as a knock.
   */
  async answer(callback: string, body: Result<Body, string>, asKnock = false): Promise<WireAnswer> {
    if (callback === "ping") return { status: 200, body: pong(body) };
    // Unknown callbacks are allowed, so an over-broad `enabled_callbacks` never fails closed.
    if (!isGated(callback)) return ALLOW;
    const stop = this.deps.metrics.decisionSeconds.startTimer({ callback });
    const decision = await this.decide(callback, body);
    stop();
    const { verdict } = decision;
    this.deps.metrics.decisions.inc({
      callback,
      verdict: verdict.allow ? "allow" : "refuse",
      reason: verdict.reason,
    });
    this.deps.reactions.handle(decision.events);
    this.deps.onDecision?.(callback, decision, asKnock);
    return this.deps.messages.answer(verdict);
  }

  /** The answer when the guard cannot decide (bad body, internal fault): the fail mode's. */
  failModeAnswer(callback: string): WireAnswer {
    if (!isGated(callback)) return ALLOW;
    return this.deps.messages.answer(this.undecided(callback).verdict);
  }

  private async decide(callback: GatedCallback, body: Result<Body, string>): Promise<Decision> {
    if (!body.ok) return this.malformed(callback, body.error);
    try {
      switch (callback) {
        case "user_may_join_room": {
          const attempt = decodeJoin(body.value);
          return attempt.ok
            ? ((await this.deps.policy?.join(attempt.value)) ??
                (await this.deps.join.decide(attempt.value)))
            : this.malformed(callback, attempt.error);
        }
        case "user_may_invite": {
          const invite = decodeLocalInvite(body.value);
          return invite.ok
            ? ((await this.deps.policy?.invite(invite.value)) ??
                (await this.deps.invite.decide(invite.value)))
            : this.malformed(callback, invite.error);
        }
        case "federated_user_may_invite": {
          const invite = decodeFederatedInvite(body.value);
          return invite.ok
            ? ((await this.deps.policy?.invite(invite.value)) ??
                (await this.deps.invite.decide(invite.value)))
            : this.malformed(callback, invite.error);
        }
        case "user_may_publish_room": {
          const publish = decodePublish(body.value);
          return publish.ok
            ? await this.deps.publish.decide(publish.value)
            : this.malformed(callback, publish.error);
        }
      }
    } catch (e) {
      // A bug: answer deliberately rather than let Synapse see a 500 (see the reference).
      this.deps.logger.error(
        { callback, err: { name: (e as Error).name, message: (e as Error).message } },
        "decision failed",
      );
      return this.undecided(callback);
    }
  }

  private malformed(callback: GatedCallback, problem: string): Decision {
    this.deps.logger.warn(
      { callback, problem },
      "callback body does not decode; the fail mode answers",
    );
    return this.undecided(callback);
  }

  private undecided(callback: GatedCallback): Decision {
    return this.deps.failModes[callback] === "open"
      ? allow("not_checked")
      : refuse("malformed", "unavailable");
  }
}

/** The ping answer: `{id, status: "ok"}` echoing the module's id. */
function pong(body: Result<Body, string>): Record<string, unknown> {
  const id = body.ok ? body.value["id"] : undefined;
  return typeof id === "string" || typeof id === "number" ? { id, status: "ok" } : { status: "ok" };
}
