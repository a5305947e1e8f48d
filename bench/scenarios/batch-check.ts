/**
 * Scenario 1b: the batch check (`POST /_matrix/loj/v1/check`, the `directory` scope) on
 * SQLite: 100 room hashes a request, 2 % of them listed, as a directory page asks. Each
 * answered batch is accounted for — metrics per client, a log line, an audit record and
 * the enumeration watch — so this measures the check with its accounting. The real lookup
 * process against the bare server, the same requests, alternating rounds.
 */
import { LOOKUP_ROOMS, scenarioDir, type BenchContext } from "../context.js";
import type { RequestPool } from "../load.js";
import { startBareServer, startLookupProcess } from "../lookup-process.js";
import { num, type ScenarioResult } from "../report.js";
import { HIT_SHARE, checkBodies } from "../synthetic.js";
import { alternate, comparisonRows } from "./lookup.js";

/** Fewer connections than for lookups: a guard asks a few batches at once, not fifty. */
const CONNECTIONS = 8;

/** Runs scenario 1b. */
export async function batchCheckScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const id = "batch-check";
  const title = "1b. batch check, SQLite";
  const dir = scenarioDir(ctx, id);
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log(`${title}: starting the lookup service with ${num(LOOKUP_ROOMS)} rooms`);
    const lookup = await startLookupProcess({
      dir,
      rooms: LOOKUP_ROOMS,
      scopes: ["directory"],
      nodeFlags: ctx.serviceFlags,
    });
    stops.push(() => lookup.stop());
    const bare = await startBareServer(dir);
    stops.push(() => bare.service.stop());
    const pool: RequestPool = {
      method: "POST",
      path: "/_matrix/loj/v1/check",
      headers: { authorization: `Bearer ${lookup.token}`, "content-type": "application/json" },
      bodies: checkBodies(LOOKUP_ROOMS),
    };
    const result = await alternate(
      ctx,
      { url: lookup.apiUrl, pool, pid: lookup.service.child.pid },
      { url: bare.url, pool, pid: bare.service.child.pid },
      CONNECTIONS,
    );
    const { rows, ratio } = comparisonRows(result.measured, result.baseline, {});
    return {
      id,
      title,
      status: "measured",
      note:
        `${num(LOOKUP_ROOMS)}-room list, ${CONNECTIONS} connections, 100 hashes a batch, ` +
        `${HIT_SHARE * 100}% listed; every batch counted, logged, audited (one SQLite write) ` +
        `and watched for enumeration; quotas raised.`,
      rows,
      figures: { ...result.measured, rooms: LOOKUP_ROOMS, connections: CONNECTIONS },
      baseline: { ...result.baseline },
      ratio,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
