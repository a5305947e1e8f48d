import { describe, expect, it } from "vitest";
import { ok } from "../../../core/result.js";
import type { MatrixCall } from "../synapse/matrix-http.js";
import { CommandListener } from "./command-listener.js";
import { parseCommand, powerLevelOf } from "./commands.js";

describe("alert-room commands", () => {
  it("parses unfreeze, help and mistakes; ignores other messages", () => {
    expect(parseCommand("!redlight unfreeze @bob:example.org")).toEqual({
      kind: "unfreeze",
      user: "@bob:example.org",
    });
    expect(parseCommand("  !Redlight   UNFREEZE   @bob:example.org ")).toEqual({
      kind: "unfreeze",
      user: "@bob:example.org",
    });
    expect(parseCommand("!redlight")).toEqual({ kind: "help" });
    expect(parseCommand("!redlight unfreeze bob")).toEqual({
      kind: "invalid",
      problem: "bob is not a user id",
    });
    expect(parseCommand("!redlight unfreeze @a:x @b:x")).toMatchObject({ kind: "invalid" });
    expect(parseCommand("!redlight ban @a:x")).toEqual({
      kind: "invalid",
      problem: 'unknown command "ban"',
    });
    expect(parseCommand("hello !redlight unfreeze @a:x")).toBeUndefined();
  });

  it("reads power levels with users_default and the spec's 0 fallback", () => {
    const levels = { users: { "@mod:x": 50, "@admin:x": 100 }, users_default: 10 };
    expect(powerLevelOf(levels, "@mod:x")).toBe(50);
    expect(powerLevelOf(levels, "@someone:x")).toBe(10);
    expect(powerLevelOf({}, "@someone:x")).toBe(0);
    expect(powerLevelOf(null, "@someone:x")).toBe(0);
  });
});

describe("CommandListener", () => {
  it("skips history, runs a moderator's command once, refuses a member's, ignores its own messages", async () => {
    const message = (id: string, sender: string, body: string) => ({
      event_id: id,
      sender,
      type: "m.room.message",
      content: { msgtype: "m.text", body },
    });
    const batches = [
      // The start-up sync: history, never acted on.
      [message("$old", "@mod:x", "!redlight unfreeze @old:x")],
      [
        message("$1", "@mod:x", "!redlight unfreeze @bob:x"),
        message("$2", "@member:x", "!redlight unfreeze @bob:x"),
        message("$3", "@bot:x", "!redlight unfreeze @bob:x"),
        message("$1", "@mod:x", "!redlight unfreeze @bob:x"), // repeated by a flaky sync
        message("$4", "@mod:x", "just chatting"),
      ],
    ];
    let syncs = 0;
    const call: MatrixCall = async (_method, path) => {
      if (path.includes("whoami")) return ok({ status: 200, body: { user_id: "@bot:x" } });
      if (path.includes("/join/")) return ok({ status: 200, body: {} });
      if (path.includes("/state/m.room.power_levels"))
        return ok({ status: 200, body: { users: { "@mod:x": 50 } } });
      const events = batches[syncs];
      syncs++;
      if (events === undefined) await new Promise((r) => setTimeout(r, 20));
      return ok({
        status: 200,
        body: {
          next_batch: `s${syncs}`,
          rooms: { join: { "!alerts:x": { timeline: { events: events ?? [] } } } },
        },
      });
    };
    const unfrozen: string[] = [];
    const replies: string[] = [];
    const listener = new CommandListener({
      call,
      roomId: "!alerts:x",
      unfreeze: async (user, actor) => {
        unfrozen.push(`${user} by ${actor}`);
        return undefined;
      },
      reply: (t) => replies.push(t),
      log: () => undefined,
    });
    listener.start();
    while (syncs < 3) await new Promise((r) => setTimeout(r, 5));
    await listener.stop();
    expect(unfrozen).toEqual(["@bob:x by @mod:x"]);
    expect(replies).toEqual(["@member:x: only moderators (power level 50 or more) may do this."]);
  });
});
