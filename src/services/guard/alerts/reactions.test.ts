import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { keyedUserPseudonym } from "../../../core/hash.js";
import type { RoomId, UserId } from "../../../core/ids.js";
import { ok } from "../../../core/result.js";
import { InviteSummary } from "./invite-summary.js";
import { FakeLookupClient, RecordingAlertSink } from "../../../../test/doubles/guard-fakes.js";
import { FrozenAccounts } from "../gates/frozen-accounts.js";
import type { MatrixCall } from "../synapse/matrix-http.js";
import { Reactions } from "./reactions.js";
import { SynapseAdmin } from "../synapse/synapse-admin.js";
import { Unfreezer } from "../operations/unfreeze.js";

const user = "@bob:example.org" as UserId;
const room = "!synthetic-0001:example.org" as RoomId;
const listed = { reportId: "r1", tags: ["csam"] };

function recordingSynapse() {
  const suspends: unknown[] = [];
  const call: MatrixCall = async (_m, path, body) => {
    if (path.includes("/suspend/")) suspends.push(body);
    return ok({ status: 200, body: {} });
  };
  return { suspends, admin: new SynapseAdmin(call) };
}

describe("Reactions", () => {
  const setup = (suspender?: SynapseAdmin) => {
    const alerts = new RecordingAlertSink();
    const tasks: Promise<unknown>[] = [];
    let now = 0;
    const reactions = new Reactions({
      alerts,
      style: { includeRoomId: false, failModes: {} },
      inviteSummary: new InviteSummary(),
      suspender,
      runInBackground: (_name, fn) => void tasks.push(fn()),
      logger: pino({ level: "silent" }),
      now: () => now,
    });
    return { alerts, reactions, tasks, advance: (ms: number) => (now += ms) };
  };

  it("counts the decisions fail modes made during an outage into the restored alert", () => {
    const { alerts, reactions } = setup();
    reactions.handle([{ kind: "fail_mode_applied", mode: "open" }]); // before the outage
    reactions.handle([{ kind: "lookup_degraded", reason: "timeout" }]);
    reactions.handle([{ kind: "fail_mode_applied", mode: "open" }]);
    reactions.handle([{ kind: "fail_mode_applied", mode: "closed" }]);
    reactions.handle([{ kind: "fail_mode_applied", mode: "open" }]);
    reactions.handle([{ kind: "lookup_recovered", downMs: 61_000 }]);
    expect(alerts.posted.map((p) => p.kind)).toEqual(["lookup_degraded", "lookup_recovered"]);
    expect(alerts.posted[1]!.text.plain).toBe(
      "Protection restored: the lookup service answers again after 1 min 1 s. Meanwhile 2 decision(s) were allowed unchecked and 1 refused by fail mode.",
    );
  });

  it("suspends a frozen local account, then alerts with the outcome", async () => {
    const hs = recordingSynapse();
    const { alerts, reactions, tasks } = setup(hs.admin);
    reactions.handle([{ kind: "account_frozen", user, local: true, via: "hit" }]);
    expect(alerts.posted).toEqual([]); // the alert waits for the suspension, the decision does not
    await Promise.all(tasks);
    expect(hs.suspends).toEqual([{ suspend: true }]);
    expect(alerts.posted[0]?.text.plain).toContain("The account is suspended in Synapse.");
  });

  it("never suspends a remote account; counts it in the invite summary instead", async () => {
    const hs = recordingSynapse();
    const { alerts, reactions, tasks } = setup(hs.admin);
    reactions.handle([
      { kind: "invite_refused", inviter: "@x:remote.example" as UserId, room, reason: "listed" },
      { kind: "account_frozen", user: "@x:remote.example" as UserId, local: false, via: "hit" },
    ]);
    await Promise.all(tasks);
    expect(hs.suspends).toEqual([]);
    reactions.flushInviteSummary(60_000);
    expect(alerts.posted.map((a) => a.text.plain)).toEqual([
      "Invites refused: 1 invite from 1 server refused in the last minute (listed room 1). Most from: remote.example (1). 1 inviter from other servers frozen.",
    ]);
  });

  it("reports a user inside a listed room once a day, not on every profile change", () => {
    const { alerts, reactions, advance } = setup();
    for (let i = 0; i < 5; i++) reactions.handle([{ kind: "found_inside", user, room, listed }]);
    expect(alerts.posted).toHaveLength(1);
    advance(24 * 3_600_000);
    reactions.handle([{ kind: "found_inside", user, room, listed }]);
    expect(alerts.posted).toHaveLength(2);
  });
});

describe("Unfreezer", () => {
  const pseudo = (u: string) => keyedUserPseudonym("s".repeat(32), u);

  it("unfreezes at the lookup service, forgets the freeze, lifts the suspension, alerts", async () => {
    const lookup = new FakeLookupClient();
    lookup.frozen.add(pseudo(user));
    const frozen = new FrozenAccounts(60_000);
    frozen.markFrozen(pseudo(user), 0);
    const hs = recordingSynapse();
    const alerts = new RecordingAlertSink();
    const unfreezer = new Unfreezer({
      lookup,
      frozen,
      pseudonym: pseudo,
      suspender: hs.admin,
      alerts,
    });
    const outcome = await unfreezer.unfreeze(user, "@mod:example.org", "alert_room");
    expect(outcome).toMatchObject({ ok: true, value: { lifted: true, suspension: "lifted" } });
    expect(frozen.state(pseudo(user), 1)).toBe("not_frozen");
    expect(hs.suspends).toEqual([{ suspend: false }]);
    expect(alerts.posted[0]?.text.plain).toBe(
      "Account unfrozen: @bob:example.org by @mod:example.org. The freeze is lifted. The Synapse suspension is lifted.",
    );
  });

  it("changes nothing when the lookup service cannot be reached", async () => {
    const lookup = new FakeLookupClient();
    lookup.down = "timeout";
    const frozen = new FrozenAccounts(60_000);
    frozen.markFrozen(pseudo(user), 0);
    const alerts = new RecordingAlertSink();
    const unfreezer = new Unfreezer({
      lookup,
      frozen,
      pseudonym: pseudo,
      suspender: undefined,
      alerts,
    });
    expect(await unfreezer.unfreeze(user, "the command line", "cli")).toMatchObject({ ok: false });
    expect(frozen.state(pseudo(user), 1)).toBe("frozen");
    expect(alerts.posted).toEqual([]);
  });
});
