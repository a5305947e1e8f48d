import { describe, expect, it } from "vitest";
import type { RoomId } from "../../../core/ids.js";
import { TermMatcher } from "../../../core/text/index.js";
import { FakeLookupClient } from "../../../../test/doubles/guard-fakes.js";
import { CuratedRooms } from "./curated.js";
import { roomEntry } from "../../../../test/doubles/fake-homeserver.js";
import { ListedRooms } from "./listed-rooms.js";
import { DirectoryFilter, type DirectoryFilterDeps } from "./room-filter.js";
import { InlineTextMatcher } from "./text-pool.js";

const terms = new TermMatcher([{ id: "fruit", harms: ["m.spam"], terms: ["pineapple"] }]);
const LISTED = "!listed-0001:example.org";

function filter(extra: Partial<DirectoryFilterDeps> = {}, lookup = new FakeLookupClient()) {
  lookup.list(LISTED, "r1");
  const listed = new ListedRooms({
    lookup,
    ttlMs: 1,
    staleMs: 1,
    maxEntries: 10,
    hashesPerMinute: 100_000,
    now: Date.now,
  });
  const f = new DirectoryFilter({
    verdicts: (rooms) => listed.verdicts(rooms),
    texts: new InlineTextMatcher(terms),
    textBudget: 100_000,
    curated: undefined,
    failMode: "hide",
    ...extra,
  });
  return {
    async filter(chunk: readonly unknown[]) {
      const result = await f.filter(chunk);
      if (typeof result === "string") throw new Error(`the filter failed: ${result}`);
      return result;
    },
  };
}

const chunk = [
  roomEntry("!a-0001:example.org", { name: "Orchard" }),
  roomEntry(LISTED, { name: "Harmless looking" }),
  roomEntry("!b-0001:example.org", { name: "Fresh P1neapple club" }),
  roomEntry("!c-0001:example.org", { topic: "all about p i n e a p p l e" }),
  roomEntry("!d-0001:example.org", { canonical_alias: "#pineapple:example.org" }),
  roomEntry("!e-0001:example.org", { name: "Pinecone growers" }),
  { name: "no id" },
  roomEntry("not-a-room-id"),
];

describe("DirectoryFilter", () => {
  it("hides listed rooms, rooms whose texts match, and entries without a room id; keeps order", async () => {
    const result = await filter().filter(chunk);
    expect(result.kept.map((e) => (e as { room_id: string }).room_id)).toEqual([
      "!a-0001:example.org",
      "!e-0001:example.org",
    ]);
    expect(result.hidden.map((h) => h.reason).sort()).toEqual([
      "listed",
      "malformed",
      "malformed",
      "room_terms",
      "room_terms",
      "room_terms",
    ]);
    expect(result.hidden.find((h) => h.reason === "listed")?.listed?.reportId).toBe("r1");
    expect(result.hidden.find((h) => h.reason === "room_terms")?.listId).toBe("fruit");
  });

  it("asks the lookup service only about rooms the cheaper checks kept", async () => {
    const lookup = new FakeLookupClient();
    await filter({}, lookup).filter(chunk);
    expect(lookup.checks).toEqual([["!a-0001:example.org", LISTED, "!e-0001:example.org"]]);
  });

  it("hides unchecked rooms in fail mode hide, shows and counts them in show", async () => {
    const down = new FakeLookupClient();
    down.down = "timeout";
    const hidden = await filter({}, down).filter([roomEntry("!a-0001:example.org")]);
    expect(hidden.kept).toEqual([]);
    expect(hidden.hidden).toEqual([{ reason: "unchecked", room: "!a-0001:example.org" }]);
    const shown = await filter({ failMode: "show" }, down).filter([
      roomEntry("!a-0001:example.org"),
    ]);
    expect(shown.kept).toHaveLength(1);
    expect(shown.shownUnchecked).toBe(1);
  });

  it("curated mode shows only curated rooms (by id or canonical alias), still never a listed one", async () => {
    const curated = new CuratedRooms(
      ["!a-0001:example.org", LISTED, "#lobby:example.org"],
      {
        roomOfAlias: async () => ({ ok: true, value: undefined }),
        childrenOf: async () => ({ ok: true, value: [] }),
      },
      () => undefined,
    );
    const result = await filter({ curated }).filter([
      roomEntry("!a-0001:example.org"),
      roomEntry(LISTED),
      roomEntry("!z-0001:example.org"),
      roomEntry("!y-0001:example.org", { canonical_alias: "#lobby:example.org" }),
    ]);
    expect(result.kept.map((e) => (e as { room_id: RoomId }).room_id)).toEqual([
      "!a-0001:example.org",
      "!y-0001:example.org",
    ]);
    expect(result.hidden.map((h) => h.reason).sort()).toEqual(["listed", "not_curated"]);
  });
});

describe("DirectoryFilter whole texts", () => {
  it("hides a room whose term comes after the first 5,000 characters of its topic or name", async () => {
    const long = `${"orchard news ".repeat(500)}and pineapple`;
    expect(long.indexOf("pineapple")).toBeGreaterThan(5_000);
    const result = await filter().filter([
      roomEntry("!a-0001:example.org", { topic: long }),
      roomEntry("!b-0001:example.org", { name: long }),
      roomEntry("!c-0001:example.org", { topic: long.replace("pineapple", "pinecone") }),
    ]);
    expect(result.hidden.map((h) => [h.room, h.reason])).toEqual([
      ["!a-0001:example.org", "room_terms"],
      ["!b-0001:example.org", "room_terms"],
    ]);
  });
});

describe("DirectoryFilter text verdicts", () => {
  it("are remembered per room until its texts change", async () => {
    let matched = 0;
    const counting = {
      match: (text: string) => {
        matched++;
        return terms.match(text);
      },
    } as unknown as TermMatcher;
    const f = filter({ texts: new InlineTextMatcher(counting) });
    const page = [roomEntry("!a-0001:example.org", { name: "Orchard", topic: "Fruit" })];
    await f.filter(page);
    await f.filter(page);
    expect(matched).toBe(2); // name and topic, once
    const renamed = await f.filter([roomEntry("!a-0001:example.org", { name: "Pineapple" })]);
    expect(renamed.hidden).toEqual([
      { reason: "room_terms", room: "!a-0001:example.org", listId: "fruit" },
    ]);
  });
});

describe("DirectoryFilter text budget", () => {
  const long = (i: number) =>
    roomEntry(`!long-${String(i).padStart(4, "0")}:example.org`, { topic: "orchard ".repeat(500) });

  it("matches at most textBudget characters a page; rooms beyond follow the fail mode", async () => {
    let groups = 0;
    const counting = {
      match: async (g: readonly (readonly string[])[]) => {
        groups += g.length;
        return new InlineTextMatcher(terms).match(g);
      },
    };
    const page = [long(1), long(2), long(3)];
    const hide = filter({ texts: counting, textBudget: 8_500 });
    const hidden = await hide.filter(page);
    expect(groups).toBe(2); // 4,000 characters each: two fit, the third is never matched
    expect(hidden.kept).toHaveLength(2);
    expect(hidden.hidden).toEqual([{ reason: "text_budget", room: "!long-0003:example.org" }]);
    // Remembered rooms cost nothing: the same page next time is matched in full.
    const again = await hide.filter(page);
    expect(groups).toBe(3);
    expect(again.kept).toHaveLength(3);

    const show = await filter({ textBudget: 4_500, failMode: "show" }).filter(page.slice(0, 2));
    expect(show.kept).toHaveLength(2);
    expect(show.shownUnchecked).toBe(1);
  });

  it("hides a listed room beyond the budget in fail mode show too", async () => {
    const result = await filter({ textBudget: 4_096, failMode: "show" }).filter([
      roomEntry(LISTED, { topic: "orchard ".repeat(600) }),
    ]);
    expect(result.kept).toEqual([]);
    expect(result.hidden.map((h) => h.reason)).toEqual(["listed"]);
  });

  it("reports a matcher that cannot take the page, rather than guessing", async () => {
    const lookup = new FakeLookupClient();
    const listed = new ListedRooms({
      lookup,
      ttlMs: 1,
      staleMs: 1,
      maxEntries: 10,
      hashesPerMinute: 100_000,
      now: Date.now,
    });
    const busy = new DirectoryFilter({
      verdicts: (rooms) => listed.verdicts(rooms),
      texts: { match: async () => ({ ok: false, error: "busy" }) },
      textBudget: 100_000,
      curated: undefined,
      failMode: "show",
    });
    expect(await busy.filter([roomEntry("!a-0001:example.org", { name: "Orchard" })])).toBe("busy");
    expect(lookup.checks).toEqual([]);
  });
});
