/**
 * Scenario 2: list scale. Memory per entry and load time at 100,000 and 1,000,000 rooms,
 * each size in a fresh child process (list-scale-child.ts); then a reload under load: the
 * lookup service answering 50 connections while POST /admin/reload runs back to back, with
 * every non-2xx answer and connection error counted.
 */
import { CONNECTIONS, LOOKUP_ROOMS, scenarioDir, type BenchContext } from "../context.js";
import { median, runLoad } from "../load.js";
import { startLookupProcess } from "../lookup-process.js";
import { runJsonChild, tsxArgs } from "../processes.js";
import { num, type Row, type ScenarioResult } from "../report.js";
import { lookupBodies } from "../synthetic.js";
import { lookupPool } from "./lookup.js";

/** What list-scale-child.ts prints. */
interface ScaleFigures {
  readonly rooms: number;
  readonly entries: number;
  readonly textBytes: number;
  readonly heapBytesPerEntry: number;
  readonly compactBytesPerEntry: number;
  readonly coldLoadMs: number;
  readonly fromText: LoadTime;
  readonly fromEncryptedFile: LoadTime;
  /** Full runs only. */
  readonly fromHashes?: LoadTime;
}

interface LoadTime {
  readonly wallMs: number;
  readonly cpuMs: number;
}

const SIZES = [100_000, 1_000_000];
const ms = (v: number) => `${num(v)} ms`;
const load = (t: LoadTime) => `${ms(t.wallMs)} (CPU ${ms(t.cpuMs)})`;

/** Memory and load time per list size. */
export async function listScaleScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, "list-scale");
  const rows: Row[] = [];
  const figures: Record<string, ScaleFigures> = {};
  for (const rooms of SIZES) {
    ctx.log(`2. list scale: ${num(rooms)} rooms`);
    const f = await runJsonChild<ScaleFigures>(
      [...tsxArgs("bench/list-scale-child.ts"), String(rooms), String(ctx.timing.reps), dir],
      ["--expose-gc", "--max-old-space-size=4096"],
    );
    figures[String(rooms)] = f;
    const big = rooms >= 1_000_000;
    rows.push(
      {
        measure: `heap per entry, ${num(rooms)} rooms`,
        value: `${num(f.heapBytesPerEntry, 1)} B`,
        baseline: `${num(f.compactBytesPerEntry, 1)} B in typed arrays`,
        check: { target: "≤ 100 B", met: f.heapBytesPerEntry <= 100 },
      },
      {
        measure: `load from JSON text, ${num(rooms)} rooms`,
        value: load(f.fromText),
        ...(f.fromText.wallMs === f.coldLoadMs ? {} : { baseline: `first ${ms(f.coldLoadMs)}` }),
        ...(big ? { check: { target: "< 3 s", met: f.fromText.wallMs < 3000 } } : {}),
      },
      {
        measure: `load from encrypted file, ${num(rooms)} rooms`,
        value: load(f.fromEncryptedFile),
        baseline: `${num(f.textBytes / 2 ** 20, 1)} MiB of JSON`,
        ...(big ? { check: { target: "< 3 s", met: f.fromEncryptedFile.wallMs < 3000 } } : {}),
      },
    );
    if (f.fromHashes) {
      rows.push({
        measure: `load of room hashes (no SHA-256), ${num(rooms)} rooms`,
        value: load(f.fromHashes),
        ...(big ? { check: { target: "< 3 s", met: f.fromHashes.wallMs < 3000 } } : {}),
      });
    }
  }
  return {
    id: "list-scale",
    title: "2. list scale",
    status: "measured",
    note:
      "Heap: (heapUsed + arrayBuffers) after building the list minus before, after full " +
      "collections. The baseline column of a heap row is the list's own typed-array bytes. " +
      "Load: decodeRdlist + build of rdlist JSON with plain room ids (each hashed twice with " +
      "SHA-256; in full runs a last row gives the rooms as `room_id_hash` instead), wall and " +
      "CPU time; full runs: median of three loads after the first. The encrypted-file row is " +
      "the service's own path: read, then decrypt, decode and build in a worker thread, the " +
      "arrays moved back to the main thread.",
    rows,
    figures,
  };
}

/** Reload under load: back-to-back reloads while 50 connections look up. */
export async function reloadScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const dir = scenarioDir(ctx, "reload");
  ctx.log(`2. reload under load: ${num(LOOKUP_ROOMS)} rooms`);
  const lookup = await startLookupProcess({
    dir,
    rooms: LOOKUP_ROOMS,
    nodeFlags: ctx.serviceFlags,
    name: "lookup-reload",
  });
  try {
    const pool = lookupPool(lookup.token, lookupBodies(LOOKUP_ROOMS));
    const load = (seconds: number) =>
      runLoad(lookup.apiUrl, pool, { connections: CONNECTIONS, seconds });
    await load(ctx.timing.warmupSeconds);
    const quiet = await load(ctx.timing.seconds);

    let running = true;
    const reloadMs: number[] = [];
    let reloadFailures = 0;
    const reloads = (async () => {
      while (running) {
        const started = performance.now();
        const response = await fetch(`${lookup.operationsUrl}/admin/reload`, {
          method: "POST",
          headers: { authorization: `Bearer ${lookup.operationsToken}` },
        });
        await response.body?.cancel();
        if (response.ok) reloadMs.push(performance.now() - started);
        else reloadFailures++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const busy = await load(ctx.timing.seconds * Math.max(1, ctx.timing.rounds - 1));
    running = false;
    await reloads;

    const failed = busy.non2xx + busy.errors;
    const rows: Row[] = [
      {
        measure: "failed requests during reloads",
        value: `${num(failed)} of ${num(busy.requests)}`,
        baseline: `${num(reloadMs.length)} reloads, ${num(reloadFailures)} failed`,
        check: { target: "0", met: failed === 0 && busy.requests > 0 },
      },
      {
        measure: "reload time (100,000 rooms)",
        value: `${num(median(reloadMs))} ms median`,
        baseline: `max ${num(Math.max(...reloadMs))} ms`,
      },
      {
        measure: "requests/s during reloads",
        value: num(busy.rps),
        baseline: `${num(quiet.rps)} without`,
        ratio: `${(busy.rps / quiet.rps).toFixed(2)}×`,
      },
      {
        measure: "p99 latency during reloads",
        value: `${num(busy.p99Ms, 2)} ms`,
        baseline: `${num(quiet.p99Ms, 2)} ms without`,
        ratio: `${(busy.p99Ms / quiet.p99Ms).toFixed(2)}×`,
      },
    ];
    return {
      id: "reload-under-load",
      title: "2. reload under load",
      status: "measured",
      note:
        "The lookup service (SQLite, 100,000 rooms from an encrypted file) under 50 " +
        "connections while POST /admin/reload runs every 200 ms after the previous one " +
        "answered. A reload decrypts, decodes and builds in a worker thread and swaps the " +
        "finished list in, so lookups do not wait for it; it still takes CPU from the two " +
        "cores the service and the load generator share.",
      rows,
      figures: { ...busy, reloads: reloadMs.length, reloadFailures, reloadMs },
      baseline: { ...quiet },
      ratio: { rps: busy.rps / quiet.rps, p99: busy.p99Ms / quiet.p99Ms },
    };
  } finally {
    await lookup.stop();
  }
}
