/**
 * Scenario 7: a sweep (docs/sweeps.md) of 10,000 local users in 1,000 rooms against a
 * stand-in admin API and batch check on loopback (bench/sweep-stand-in.ts): the real
 * Sweeper, its Synapse adapter, the lookup client and the ledger in SQLite. Goal ≤ 60 s.
 * Baseline, same run and right after it: the same enumeration alone (the users pages and every user's
 * memberships through the same adapter, at the same concurrency), with no check, no
 * planning, no action.
 */
import { join } from "node:path";
import { type BenchContext, scenarioDir } from "../context.js";
import { num, times, type ScenarioResult } from "../report.js";
import { startSweepStandIn } from "../sweep-stand-in.js";
import { openGuardDatabase } from "../../src/storage/guard-database.js";
import { StandardLookupClient } from "../../src/services/guard/lookup/lookup-client.js";
import { matrixCaller } from "../../src/services/guard/synapse/matrix-http.js";
import { SynapseSweepHomeserver } from "../../src/services/guard/synapse/sweep-homeserver.js";
import { SqlSweepLedger } from "../../src/services/guard/sweep/sweep-ledger.js";
import { Sweeper, SWEEP_CONCURRENCY } from "../../src/services/guard/sweep/sweeper.js";

const WORLD = { users: 10_000, rooms: 1_000, roomsPerUser: 3, inviteEvery: 50, listedEvery: 100 };
const GOAL_SECONDS = 60;

/** Runs scenario 7. */
export async function sweepScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const id = "sweep";
  const title = "7. sweep of invites and members";
  const dir = scenarioDir(ctx, id);
  const standIn = await startSweepStandIn(WORLD);
  const db = await openGuardDatabase(`sqlite:${join(dir, "guard.db")}`);
  const lookup = new StandardLookupClient({
    baseUrl: standIn.url,
    token: "bench",
    timeoutMs: 10_000,
  });
  try {
    const admin = matrixCaller(standIn.url, "bench-admin", 10_000);
    const homeserver = new SynapseSweepHomeserver(admin, (token, ms) =>
      matrixCaller(standIn.url, token, ms),
    );
    ctx.log(`${title}: the sweep`);
    const sweeper = new Sweeper({
      homeserver,
      lookup,
      ledger: new SqlSweepLedger(db, "bench-pseudonym-secret-0123456789abcdef"),
      policy: { rejectPendingInvites: true, membersOfListedRooms: ["alert"] },
      matchesTerms: undefined,
      now: () => Date.now(),
      sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    });
    const started = performance.now();
    const report = await sweeper.sweep();
    const seconds = (performance.now() - started) / 1000;
    // After the sweep, so both run warm (JIT, connections, SQLite pages).
    ctx.log(`${title}: baseline (enumeration only)`);
    const baselineStarted = performance.now();
    let memberships = 0;
    for (let from: string | undefined, first = true; first || from !== undefined; first = false) {
      const page = await homeserver.usersPage(from);
      if (!page.ok) throw new Error(page.error);
      const users = [...page.value.users];
      await Promise.all(
        Array.from({ length: SWEEP_CONCURRENCY }, async () => {
          for (let user = users.pop(); user !== undefined; user = users.pop()) {
            const m = await homeserver.memberships(user);
            if (m.ok) memberships += m.value.size;
          }
        }),
      );
      from = page.value.next;
    }
    const baselineSeconds = (performance.now() - baselineStarted) / 1000;

    const rejected = report.counted("reject_invite", "done");
    const ratio = seconds / baselineSeconds;
    return {
      id,
      title,
      status: "measured",
      note:
        `${num(WORLD.users)} local users, each joined to ${WORLD.roomsPerUser} of ` +
        `${num(WORLD.rooms)} rooms, one in ${WORLD.inviteEvery} with a pending invite, one room ` +
        `in ${WORLD.listedEvery} listed; stand-in admin API and batch check on loopback; ` +
        `${SWEEP_CONCURRENCY} admin calls at a time; ledger in SQLite. Goal ≤ ${GOAL_SECONDS} s.`,
      rows: [
        {
          measure: "whole sweep",
          value: `${num(seconds, 1)} s`,
          baseline: `${num(baselineSeconds, 1)} s (enumeration only)`,
          ratio: times(ratio),
        },
        {
          measure: "found and done",
          value:
            `${num(report.users)} users, ${num(report.rooms)} rooms, ` +
            `${num(report.listedRooms)} listed, ${num(rejected)} invites rejected ` +
            `(${num(standIn.counts.leaves)} leaves), ${report.failures} failures`,
          baseline: `${num(memberships)} memberships read`,
        },
        {
          measure: "goal ≤ 60 s",
          value: seconds <= GOAL_SECONDS ? "met" : "missed",
        },
      ],
      figures: {
        seconds,
        users: report.users,
        rooms: report.rooms,
        rejected,
        failures: report.failures,
      },
      baseline: { seconds: baselineSeconds, memberships },
      ratio: { seconds: ratio },
    };
  } finally {
    lookup.close();
    await db.close();
    await standIn.stop();
  }
}
