import { describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../../../core/ids.js";
import { PolicyRuleset } from "../../../policy/ruleset.js";
import { PolicyGate, type PolicyRules } from "./policy-gate.js";

const POLICY = "!synthetic-policy:example.org" as RoomId;
const LISTED = "!synthetic-0001:example.org" as RoomId;
const CLEAN = "!orchard-0001:example.org" as RoomId;
const SPAMMER = "@spammer-0001:example.org" as UserId;
const ADMIN = "@admin:example.org" as UserId;
const ALICE = "@alice:example.org" as UserId;

function rules() {
  const set = new PolicyRuleset();
  let listener = () => undefined as void;
  const view: PolicyRules = {
    matcher: () => set.matcher(),
    listedRooms: (tags) => set.roomEntries(tags).rooms.slice(),
    onChange: (l) => (listener = l),
  };
  const apply = (type: string, key: string, content: object) => {
    set.apply(POLICY, { type, state_key: key, content });
    listener();
  };
  return { view, apply };
}

describe("PolicyGate", () => {
  const exempt = new Set([ADMIN]);
  const exemptions = { isExempt: (u: UserId) => Promise.resolve(exempt.has(u)) };

  it("refuses joins to rooms under room rules, except for exempt users", async () => {
    const { view, apply } = rules();
    const gate = new PolicyGate(view, exemptions);
    expect(await gate.join({ user: ALICE, room: LISTED, invited: false })).toBeUndefined();
    apply("m.policy.rule.room", "r", { entity: LISTED, recommendation: "m.takedown" });
    const refused = await gate.join({ user: ALICE, room: LISTED, invited: true });
    expect(refused?.verdict).toMatchObject({ allow: false, reason: "policy_rule" });
    expect(refused?.events[0]).toMatchObject({
      kind: "join_refused",
      listed: { tags: ["takedown"] },
    });
    expect(await gate.join({ user: ADMIN, room: LISTED, invited: false })).toBeUndefined();
    expect(await gate.join({ user: ALICE, room: CLEAN, invited: false })).toBeUndefined();
    apply("m.policy.rule.room", "r", {}); // removed: applies no more, at once
    expect(await gate.join({ user: ALICE, room: LISTED, invited: false })).toBeUndefined();
  });

  it("refuses invites by user rule, server rule (glob) and room rule; the kind is the detail", async () => {
    const { view, apply } = rules();
    const gate = new PolicyGate(view, exemptions);
    apply("m.policy.rule.user", "u", { entity: SPAMMER, recommendation: "m.ban" });
    apply("m.policy.rule.server", "s", { entity: "*.bad.example", recommendation: "m.ban" });
    apply("m.policy.rule.room", "r", { entity: LISTED, recommendation: "m.ban" });
    const detail = async (inviter: UserId, room: RoomId) => {
      const d = await gate.invite({ inviter, invitee: ALICE, room, remote: true });
      const event = d?.events[0];
      return event?.kind === "invite_refused" ? event.detail : undefined;
    };
    expect(await detail(SPAMMER, CLEAN)).toBe("user rule");
    expect(await detail("@x:spam.bad.example" as UserId, CLEAN)).toBe("server rule");
    expect(await detail(ALICE, LISTED)).toBe("room rule");
    expect(await detail(ALICE, CLEAN)).toBeUndefined();
    expect(await detail(ADMIN, LISTED)).toBeUndefined();
  });
});
