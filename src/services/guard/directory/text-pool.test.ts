import { afterEach, describe, expect, it } from "vitest";
import { TermMatcher, type TermList } from "../../../core/text/index.js";
import { InlineTextMatcher, ThreadedTextMatcher } from "./text-pool.js";

// Benign synthetic terms only.
const LISTS: TermList[] = [{ id: "fruit", harms: ["m.spam"], terms: ["pineapple"] }];

describe("ThreadedTextMatcher", () => {
  let pool: ThreadedTextMatcher | undefined;
  afterEach(async () => {
    await pool?.stop();
    pool = undefined;
  });

  it("answers on its thread exactly as the matcher does on this one", async () => {
    pool = new ThreadedTextMatcher({ lists: LISTS, threads: 1, maxQueued: 8, maxWaitMs: 60_000 });
    const groups = [["orchard", "P 1 N E A P P L E"], ["apples"], [""], ["ｐｉｎｅａｐｐｌｅ"]];
    const threaded = await pool.match(groups);
    const inline = await new InlineTextMatcher(new TermMatcher(LISTS)).match(groups);
    expect(threaded).toEqual(inline);
    expect(threaded.ok && threaded.value.map((m) => m.matched)).toEqual([true, false, false, true]);
  });

  it("refuses a job at once as busy when the queue is full, and serves the rest", async () => {
    pool = new ThreadedTextMatcher({ lists: LISTS, threads: 1, maxQueued: 2, maxWaitMs: 60_000 });
    const slow = [Array.from({ length: 10 }, () => "\uFDFA".repeat(512))];
    const jobs = [pool.match(slow), pool.match(slow), pool.match(slow)];
    // One runs, two wait: the fourth is over the bound.
    expect(pool.queued).toBe(2);
    expect(await pool.match([["pineapple"]])).toEqual({ ok: false, error: "busy" });
    for (const answer of await Promise.all(jobs)) expect(answer.ok).toBe(true);
    expect(await pool.match([["pineapple"]])).toEqual({
      ok: true,
      value: [{ matched: true, listId: "fruit", harms: ["m.spam"] }],
    });
  });

  it("answers busy, unrun, a job that waited longer than maxWaitMs for the thread", async () => {
    pool = new ThreadedTextMatcher({ lists: LISTS, threads: 1, maxQueued: 4, maxWaitMs: 1 });
    // The first job runs at once; the second would wait for it, but is answered busy
    // without waiting for the thread (whose tsx start alone takes far longer than 1 ms).
    const first = pool.match([Array.from({ length: 10 }, () => "\uFDFA".repeat(512))]);
    const second = pool.match([["pineapple"]]);
    expect(await second).toEqual({ ok: false, error: "busy" });
    expect(pool.queued).toBe(0);
    expect((await first).ok).toBe(true);
  });

  it("answers failed after stop, never hangs", async () => {
    pool = new ThreadedTextMatcher({ lists: LISTS, threads: 1, maxQueued: 2, maxWaitMs: 60_000 });
    const running = pool.match([["pineapple"]]);
    await pool.stop();
    // stop() answers the running job synchronously, before the thread could have.
    expect(await running).toEqual({ ok: false, error: "failed" });
    expect(await pool.match([["pineapple"]])).toEqual({ ok: false, error: "failed" });
  });
});
