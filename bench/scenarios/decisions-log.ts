/**
 * Scenario 7: the decisions log's cost on the callback path and its writes. In one process:
 * `DecisionLog.decision()` for a mix of join and invite decisions (what every callback now
 * does after its answer), against the Prometheus counter increment each callback already
 * makes, measured in the same run; then the time one flush takes to write a busy hour's
 * keys to SQLite (off the callback path, every 5 s).
 */
import { join } from "node:path";
import { Counter, Registry } from "prom-client";
import type { RoomId, UserId } from "../../src/core/ids.js";
import { DecisionLog } from "../../src/services/guard/decisions/decision-log.js";
import { allow, refuse, type Decision } from "../../src/services/guard/gates/verdict.js";
import { openGuardDatabase } from "../../src/storage/guard-database.js";
import { scenarioDir, type BenchContext } from "../context.js";
import { num, times, type ScenarioResult } from "../report.js";
import { seededRandom } from "../synthetic.js";

type Callback = "user_may_join_room" | "federated_user_may_invite";

function decisions(n: number): { callback: Callback; decision: Decision }[] {
  const random = seededRandom(7);
  const room = "!synthetic-0001:example.org" as RoomId;
  return Array.from({ length: n }, () => {
    const r = random();
    if (r < 0.85) return { callback: "user_may_join_room", decision: allow("cached_clean") };
    if (r < 0.95)
      return {
        callback: "user_may_join_room",
        decision: refuse("listed", "join_refused", [
          {
            kind: "join_refused",
            user: "@bench:example.org" as UserId,
            room,
            listed: { reportId: "r", tags: random() < 0.5 ? ["csam"] : ["spam", "csam"] },
            invited: false,
          },
        ]),
      };
    return {
      callback: "federated_user_may_invite",
      decision: refuse("server_policy", "invite_refused", [
        {
          kind: "invite_refused",
          inviter: `@x:spam-${Math.floor(random() * 200)}.example` as UserId,
          room,
          reason: "server_policy",
        },
      ]),
    };
  });
}

function perCallUs(count: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(10_000, count); i++) fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / count;
}

/** Runs scenario 7. */
export async function decisionsLogScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const n = ctx.mode === "quick" ? 200_000 : 1_000_000;
  const mix = decisions(n);
  const db = await openGuardDatabase(
    `sqlite:${join(scenarioDir(ctx, "decisions-log"), "guard.db")}`,
  );
  try {
    const registry = new Registry();
    const counter = new Counter({
      name: "bench_decisions_total",
      help: "baseline",
      labelNames: ["callback", "verdict", "reason"],
      registers: [registry],
    });
    const baseline = perCallUs(n, (i) => {
      const { callback, decision } = mix[i]!;
      const v = decision.verdict;
      counter.inc({ callback, verdict: v.allow ? "allow" : "refuse", reason: v.reason });
    });
    const log = new DecisionLog({ db, now: () => Date.now(), retentionMs: 86_400_000 });
    const recorded = perCallUs(n, (i) => log.decision(mix[i]!.callback, mix[i]!.decision));
    const start = process.hrtime.bigint();
    await log.flush();
    const flushMs = Number(process.hrtime.bigint() - start) / 1e6;
    const rows = await db.all<{ n: number }>("SELECT COUNT(*) AS n FROM decision_counts");
    const keys = Number(rows[0]?.n ?? 0);
    return {
      id: "decisions-log",
      title: "7. decisions log",
      status: "measured",
      note: `${num(n)} decisions (85 % allowed joins, 10 % refused joins with tags, 5 % invites refused from 200 servers), one process; baseline: the Prometheus counter increment every callback already makes.`,
      rows: [
        {
          measure: "per decision, after the answer",
          value: `${recorded.toFixed(3)} µs`,
          baseline: `${baseline.toFixed(3)} µs`,
          ratio: times(recorded / baseline),
        },
        {
          measure: `one flush to SQLite (${num(keys)} hourly keys)`,
          value: `${flushMs.toFixed(1)} ms`,
        },
      ],
      figures: { perDecisionUs: recorded, flushMs, keys },
      baseline: { counterIncUs: baseline },
      ratio: { perDecision: recorded / baseline },
    };
  } finally {
    await db.close();
  }
}
