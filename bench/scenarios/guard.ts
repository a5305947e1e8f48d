/**
 * Scenario 3: guard decision latency. `user_may_join_room` callbacks as synapse-http-antispam
 * sends them (POST, bearer secret, `{user, room, is_invited}`) to the real guard process,
 * which asks the real lookup process: once with a warm clean-verdict cache, once with the
 * cache off so every callback reaches the lookup service; each against a bare server fed the
 * same requests. Until the guard exists this reports "not yet", never a made-up number.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { CONNECTIONS, LOOKUP_ROOMS, scenarioDir, type BenchContext } from "../context.js";
import type { RequestPool } from "../load.js";
import { startBareServer, startLookupProcess, type LookupProcess } from "../lookup-process.js";
import { ROOT, freePort, startService, tsxArgs, waitForHttp, type Service } from "../processes.js";
import { num, type ScenarioResult } from "../report.js";
import { seededRandom } from "../synthetic.js";
import { alternate, comparisonRows } from "./lookup.js";

const JOIN_PATH = "/_redlight/antispam/user_may_join_room";
/** Distinct rooms in the warm-cache pool: all fit in the cache, so after warm-up all hit. */
const WARM_ROOMS = 2_000;

function notYet(reason: string): ScenarioResult {
  return {
    id: "guard-join",
    title: "3. guard join decision",
    status: "not yet",
    note: `not yet: needs the guard (${reason}); no number is reported`,
    rows: [],
  };
}

/** Join callbacks: unlisted synthetic rooms (the common case: a join is allowed). */
function joinPool(secret: string, rooms: number, size: number): RequestPool {
  const random = seededRandom(3);
  const bodies = Array.from({ length: size }, () =>
    Buffer.from(
      JSON.stringify({
        user: `@bench-user-${Math.floor(random() * 20_000)}:example.org`,
        room: `!unlisted-${Math.floor(random() * rooms)}:example.org`,
        is_invited: false,
      }),
    ),
  );
  return {
    method: "POST",
    path: JOIN_PATH,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    bodies,
  };
}

/** Starts a guard process (`redlight guard --config …`) in front of `lookup`. */
export async function startGuard(
  ctx: BenchContext,
  dir: string,
  lookup: LookupProcess,
  secret: string,
  cache: { clean_ttl: string; max_entries: number },
  extra: { homeserverUrl?: string; guard?: Record<string, unknown>; port?: number } = {},
): Promise<{ url: string; operationsUrl: string; service: Service }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "antispam"), secret, { mode: 0o600 });
  writeFileSync(join(dir, "pseudonym"), randomBytes(32).toString("hex"), { mode: 0o600 });
  writeFileSync(join(dir, "lookup-token"), lookup.token, { mode: 0o600 });
  // A fixed port when the caller had to name the guard's address first (Synapse's module).
  const [port, opsPort] = [extra.port ?? (await freePort()), await freePort()];
  const configFile = join(dir, "config.yaml");
  writeFileSync(
    configFile,
    stringify({
      log_level: "info",
      database: `sqlite:${join(dir, "unused.db")}`,
      guard: {
        listen: `127.0.0.1:${port}`,
        metrics_listen: `127.0.0.1:${opsPort}`,
        // No admin token, no alert room: never called unless a scenario gives a stand-in.
        homeserver_url: extra.homeserverUrl ?? "http://127.0.0.1:9",
        antispam_secret_file: "./antispam",
        pseudonym_secret_file: "./pseudonym",
        lookup: { url: lookup.apiUrl, api_token_file: "./lookup-token" },
        cache,
        ...extra.guard,
      },
    }),
  );
  const service = startService({
    name: "guard",
    args: [...tsxArgs("src/main.ts"), "guard", "--config", configFile],
    nodeFlags: ctx.serviceFlags,
    logDir: dir,
    cwd: dir,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(service, `${url}/ready`, { timeoutMs: 60_000 });
  } catch (e) {
    await service.stop();
    throw e;
  }
  return { url, operationsUrl: `http://127.0.0.1:${opsPort}`, service };
}

/** Runs scenario 3, or reports it as not yet available. */
export async function guardScenario(ctx: BenchContext): Promise<ScenarioResult> {
  if (!existsSync(join(ROOT, "src/services/guard/main.ts"))) {
    return notYet("src/services/guard/main.ts does not exist yet");
  }
  const dir = scenarioDir(ctx, "guard");
  const stops: (() => Promise<void>)[] = [];
  try {
    ctx.log("3. guard: starting the lookup service, two guards and the bare server");
    const lookup = await startLookupProcess({
      dir: join(dir, "lookup"),
      rooms: LOOKUP_ROOMS,
      name: "lookup-for-guard",
    });
    stops.push(() => lookup.stop());
    const secret = randomBytes(24).toString("hex");
    let guards: {
      warm: { url: string; service: Service };
      cold: { url: string; service: Service };
    };
    try {
      const warm = await startGuard(ctx, join(dir, "warm"), lookup, secret, {
        clean_ttl: "1h",
        max_entries: 50_000,
      });
      stops.push(() => warm.service.stop());
      const cold = await startGuard(ctx, join(dir, "cold"), lookup, secret, {
        clean_ttl: "30s",
        max_entries: 0,
      });
      stops.push(() => cold.service.stop());
      guards = { warm, cold };
    } catch (e) {
      ctx.log(`guard did not start: ${(e as Error).message}`);
      return notYet(`the guard process did not start: ${(e as Error).message.split("\n")[0]}`);
    }
    const bare = await startBareServer(dir);
    stops.push(() => bare.service.stop());

    const warmPool = joinPool(secret, WARM_ROOMS, 20_000);
    const coldPool = joinPool(secret, 1_000_000_000, 50_000);
    ctx.log("3. guard: warm verdict cache");
    const cached = await alternate(
      ctx,
      { url: guards.warm.url, pool: warmPool, pid: guards.warm.service.child.pid },
      { url: bare.url, pool: warmPool, pid: bare.service.child.pid },
    );
    ctx.log("3. guard: every callback asks the lookup service");
    const asking = await alternate(
      ctx,
      { url: guards.cold.url, pool: coldPool, pid: guards.cold.service.child.pid },
      { url: bare.url, pool: coldPool, pid: bare.service.child.pid },
    );
    const warmRows = comparisonRows(cached.measured, cached.baseline, { p99Ms: 2 });
    const coldRows = comparisonRows(asking.measured, asking.baseline, { p99Ms: 5 });
    return {
      id: "guard-join",
      title: "3. guard join decision",
      status: "measured",
      note:
        `user_may_join_room for unlisted rooms, ${CONNECTIONS} connections. Warm: ` +
        `${num(WARM_ROOMS)} rooms, all in the clean verdict cache after warm-up. Lookup: cache ` +
        `off, each callback one LJS-4 lookup to the lookup service (SQLite, ` +
        `${num(LOOKUP_ROOMS)} rooms) — three processes and the load generator on two cores.`,
      rows: [
        ...warmRows.rows.map((r) => ({ ...r, measure: `warm cache: ${r.measure}` })),
        ...coldRows.rows.map((r) => ({ ...r, measure: `via lookup: ${r.measure}` })),
      ],
      figures: { warmCache: cached.measured, viaLookup: asking.measured },
      baseline: { warmCache: cached.baseline, viaLookup: asking.baseline },
      ratio: {
        warmRps: warmRows.ratio.rps,
        warmP99: warmRows.ratio.p99,
        lookupRps: coldRows.ratio.rps,
        lookupP99: coldRows.ratio.p99,
      },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
