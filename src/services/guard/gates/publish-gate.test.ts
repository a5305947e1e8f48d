import { beforeEach, describe, expect, it } from "vitest";
import type { RoomId, UserId } from "../../../core/ids.js";
import { TermMatcher } from "../../../core/text/index.js";
import { FakeFacts, FakeLookupClient } from "../../../../test/doubles/guard-fakes.js";
import type { FailMode } from "./join-gate.js";
import { PublishGate } from "./publish-gate.js";

const user = "@owner:example.org" as UserId;
const listed = "!synthetic-0001:example.org" as RoomId;
const clean = "!clean-0001:example.org" as RoomId;
const fruity = "!fruity-0001:example.org" as RoomId;

describe("PublishGate", () => {
  let lookup: FakeLookupClient;
  let facts: FakeFacts;
  let unchecked: FailMode[];
  /** A gate whose decisions note the fail modes they applied in `unchecked`. */
  const gate = (failMode: FailMode = "closed") => {
    const inner = new PublishGate({
      lookup,
      terms: new TermMatcher([{ id: "fruit", harms: ["m.spam"], terms: ["pineapple"] }]),
      roomTexts: facts,
      failMode,
    });
    return {
      async decide(attempt: Parameters<PublishGate["decide"]>[0]) {
        const decision = await inner.decide(attempt);
        for (const e of decision.events) if (e.kind === "fail_mode_applied") unchecked.push(e.mode);
        return decision;
      },
    };
  };

  beforeEach(() => {
    lookup = new FakeLookupClient().list(listed, "r1", ["csam"]);
    facts = new FakeFacts();
    facts.texts.set(fruity, { name: "Club", topic: "All about P1NEAPPLE" });
    facts.texts.set(clean, { name: "Pineapplesauce and apples" });
    unchecked = [];
  });

  it("refuses a listed room, with the report for the alert, without counting toward a freeze", async () => {
    const decision = await gate().decide({ user, room: listed });
    expect(decision.verdict).toEqual({
      allow: false,
      reason: "listed",
      message: "publish_refused",
    });
    expect(decision.events).toEqual([
      {
        kind: "publish_refused",
        user,
        room: listed,
        reason: "listed",
        listed: { reportId: "r1", tags: ["csam"] },
      },
    ]);
    expect(lookup.lookups).toEqual([]); // only the non-counting batch check
    expect(lookup.checks).toEqual([[listed]]);
  });

  it("refuses a room whose name or topic matches a term list, naming the list only", async () => {
    const decision = await gate().decide({ user, room: fruity });
    expect(decision.verdict).toMatchObject({ allow: false, reason: "room_terms" });
    expect(decision.events).toEqual([
      { kind: "publish_refused", user, room: fruity, reason: "room_terms", listId: "fruit" },
    ]);
  });

  it("allows a clean room, also one whose name contains the term inside a longer word", async () => {
    expect((await gate().decide({ user, room: clean })).verdict).toEqual({
      allow: true,
      reason: "clean",
    });
  });

  it("follows its fail mode when the lookup service cannot answer, terms still apply", async () => {
    lookup.down = "timeout";
    expect((await gate("closed").decide({ user, room: clean })).verdict).toMatchObject({
      allow: false,
      reason: "fail_closed",
      message: "unavailable",
    });
    expect((await gate("open").decide({ user, room: clean })).verdict).toEqual({
      allow: true,
      reason: "fail_open",
    });
    expect(unchecked).toEqual(["closed", "open"]);
    expect((await gate("open").decide({ user, room: fruity })).verdict).toMatchObject({
      reason: "room_terms",
    });
  });

  it("asks the publisher to retry when the batch check is rate limited: no fail mode, terms still apply", async () => {
    lookup.checkRateLimitedMs = 3_000;
    const decision = await gate("open").decide({ user, room: clean });
    expect(decision.verdict).toEqual({
      allow: false,
      reason: "rate_limited",
      message: "rate_limited",
      retryAfterMs: 3_000,
    });
    expect(unchecked).toEqual([]);
    expect((await gate("open").decide({ user, room: fruity })).verdict).toMatchObject({
      reason: "room_terms",
    });
  });

  it("treats a lookup client without the directory scope like an outage", async () => {
    lookup.checkSupported = false;
    expect((await gate("closed").decide({ user, room: clean })).verdict).toMatchObject({
      reason: "fail_closed",
    });
  });
});
