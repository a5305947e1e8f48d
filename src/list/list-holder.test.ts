import { describe, expect, it } from "vitest";
import { ljs4Hash } from "../core/hash.js";
import { ok } from "../core/result.js";
import { SourceListBuilder, type SourceList } from "../core/source-list.js";
import { ListHolder, type ListEvents } from "./list-holder.js";
import type { FetchOutcome, ListSource } from "./sources.js";

const room = (n: number) => `!synthetic-${n}:example.org`;
const ALL = new Set(["csam", "spam"]);

function list(from: number, to: number, reportPrefix: string, tag: string): SourceList {
  const builder = new SourceListBuilder();
  for (let i = from; i < to; i++)
    builder.add({ hash: ljs4Hash(room(i)), reportId: `${reportPrefix}-${i}`, tags: [tag] });
  return builder.build();
}

/** A source answering the given outcomes in turn (the last one for ever after). */
function source(
  label: string,
  outcomes: (() => FetchOutcome | string)[],
  refreshMs = 60_000,
): ListSource {
  let call = 0;
  return {
    label,
    refreshMs,
    async fetch() {
      const next = outcomes[Math.min(call++, outcomes.length - 1)] as () => FetchOutcome | string;
      const outcome = next();
      return typeof outcome === "string" ? { ok: false, error: outcome } : ok(outcome);
    },
  };
}

function recorder() {
  const seen: string[] = [];
  const events: ListEvents = {
    loaded: (s, stats) => seen.push(`loaded ${s} ${stats.entries}`),
    unchanged: (s) => seen.push(`unchanged ${s}`),
    failed: (s, reason) => seen.push(`failed ${s}: ${reason}`),
    swapped: (entries) => seen.push(`swapped ${entries}`),
  };
  return { seen, events };
}

const loaded = (l: SourceList) => () => ({ kind: "loaded" as const, list: l, skipped: 0 });

describe("ListHolder", () => {
  it("serves one source's list as loaded, and keeps it when a reload fails", async () => {
    const { seen, events } = recorder();
    const holder = new ListHolder(
      [source("a", [loaded(list(0, 10, "a", "csam")), () => "the list server answered HTTP 500"])],
      events,
    );
    expect(holder.ready).toBe(false);
    await holder.reloadAll();
    expect(holder.ready).toBe(true);
    const first = holder.list;
    await holder.reloadAll();
    expect(holder.list).toBe(first);
    expect(seen).toEqual([
      "loaded a 10",
      "swapped 10",
      "failed a: the list server answered HTTP 500",
    ]);
  });

  it("merges several sources off the event loop and swaps the result in", async () => {
    const { seen, events } = recorder();
    const holder = new ListHolder(
      [
        source("a", [loaded(list(0, 3000, "a", "spam"))]),
        source("b", [loaded(list(2000, 5000, "b", "csam")), () => ({ kind: "unchanged" })]),
      ],
      events,
    );
    await holder.reloadAll();
    expect(holder.list.size).toBe(5000);
    expect(holder.list.match(ljs4Hash(room(2500)), ALL)).toEqual({
      reportId: "a-2500",
      tags: ["csam", "spam"],
    });
    expect(holder.list.match(ljs4Hash(room(4999)), ALL)?.reportId).toBe("b-4999");
    await holder.reloadAll(); // a reloads, b unchanged: merged again from b's last good copy
    expect(holder.list.size).toBe(5000);
    expect(seen.filter((e) => e.startsWith("swapped"))).toEqual(["swapped 5000", "swapped 5000"]);
  });

  it("never lets an older merge replace a newer list", async () => {
    const { events } = recorder();
    let generation = 0;
    const holder = new ListHolder(
      [
        source("a", [() => loaded(list(0, 2000 + ++generation, "a", "csam"))()], 15),
        source("b", [loaded(list(10_000, 10_010, "b", "csam"))]),
      ],
      events,
    );
    await holder.reloadAll();
    // Timer reloads of "a" overlap: their merges run in workers and finish in any order.
    const reloads: Promise<unknown>[] = [];
    holder.startTimers((_name, fn) => reloads.push(fn()));
    await new Promise((r) => setTimeout(r, 120));
    await holder.stop();
    await Promise.all(reloads);
    expect(reloads.length).toBeGreaterThan(2);
    expect(holder.list.size).toBe(2000 + generation + 10);
  });

  it("skips a timer tick while the source's last fetch is still under way", async () => {
    const { events } = recorder();
    let fetches = 0;
    let release: () => void = () => undefined;
    const slow: ListSource = {
      label: "slow",
      refreshMs: 5,
      async fetch() {
        fetches++;
        await new Promise<void>((r) => (release = r));
        return ok({ kind: "unchanged" as const });
      },
    };
    const holder = new ListHolder([slow], events);
    const reloads: Promise<unknown>[] = [];
    holder.startTimers((_name, fn) => reloads.push(fn()));
    // Many intervals pass while the first fetch hangs: none starts a second one.
    while (reloads.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 60));
    expect(fetches).toBe(1);
    release();
    await Promise.all(reloads);
    // Once it is done, the next tick fetches again.
    while (fetches < 2) await new Promise((r) => setTimeout(r, 5));
    await holder.stop();
    release();
    await Promise.all(reloads);
    expect(reloads.length).toBeGreaterThanOrEqual(2);
  });
});
