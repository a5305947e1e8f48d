/**
 * Scenario `policy-room`: ingesting a policy room of 100,000 room rules from scratch —
 * the follower reads the whole state from a stand-in homeserver (the one the tests use,
 * here in this process, serving over HTTP), applies every rule and builds the source list —
 * against the same-run baseline of loading 100,000 rooms from an rdlist file. Goal: ≤ 10 s.
 * Measured in a child process (policy-room-child.ts) so heap per rule is its own.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PolicyRoomStandIn } from "../../test/support/policy-room-stand-in.js";
import type { BenchContext } from "../context.js";
import { runJsonChild, tsxArgs } from "../processes.js";
import { num, times, type ScenarioResult } from "../report.js";
import { syntheticList, syntheticRoomId } from "../synthetic.js";

const RULES = 100_000;
const POLICY = "!synthetic-policy-bench:example.org";

type Figures = {
  readonly ms: number;
  readonly cpuMs: number;
  readonly entries: number;
  readonly bytes: number;
};

/** Runs the scenario. */
export async function policyRoomScenario(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.log("policy-room: ingest 100,000 room rules");
  const hs = new PolicyRoomStandIn();
  hs.createRoom(POLICY);
  hs.joined.add(POLICY);
  hs.bulkState(
    POLICY,
    (function* () {
      for (let i = 1; i <= RULES; i++)
        yield {
          type: "m.policy.rule.room",
          state_key: `rule-${i}`,
          content: { entity: syntheticRoomId(i), recommendation: "m.ban", reason: "quokkaberry" },
          event_id: `$synthetic-bench-${i}`,
          sender: "@moderator:example.org",
          origin_server_ts: Date.now(),
        };
    })(),
  );
  const rdlist = join(ctx.workDir, "policy-room-baseline.json");
  writeFileSync(rdlist, syntheticList(RULES));
  await hs.start();
  try {
    const f = await runJsonChild<{
      file: Figures;
      policy: Figures & { readMs: number; rules: number };
    }>(
      [...tsxArgs("bench/policy-room-child.ts"), hs.baseUrl, hs.token, POLICY, rdlist],
      ["--expose-gc", "--max-old-space-size=4096"],
    );
    const perRule = f.policy.bytes / f.policy.rules;
    const perEntry = f.file.bytes / f.file.entries;
    return {
      id: "policy-room",
      title: "policy room ingest",
      status: "measured",
      note:
        `${num(f.policy.rules)} m.policy.rule.room rules (m.ban, plain room ids) served by the ` +
        `stand-in homeserver as one /state answer; ${num(f.policy.entries)} list entries built. ` +
        `Reading and applying the state took ${num(f.policy.readMs)} ms of the total. Goal: ≤ 10 s.`,
      rows: [
        {
          measure: "ingest time (state → list)",
          value: `${num(f.policy.ms)} ms (CPU ${num(f.policy.cpuMs)} ms)`,
          baseline: `${num(f.file.ms)} ms (rdlist file, ${num(f.file.entries)} rooms)`,
          ratio: times(f.policy.ms / f.file.ms),
        },
        {
          measure: "heap per rule",
          value: `${num(perRule)} B`,
          baseline: `${num(perEntry)} B per rdlist entry`,
          ratio: times(perRule / perEntry),
        },
      ],
      figures: f.policy,
      baseline: f.file,
      ratio: { ms: f.policy.ms / f.file.ms, bytesPerEntry: perRule / perEntry },
    };
  } finally {
    await hs.stop();
  }
}
