/**
 * Where the time goes in a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile`
 * for the service processes): per function, self time or (with `--inclusive`) time with
 * everything it called, largest first. Idle time is left out of the percentages.
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP] [--inclusive | --areas]
 *
 * `--areas` adds self time up by area (kernel send, Node's HTTP, Fastify, our code, storage,
 * logging, …): the grouping docs/benchmarks.md "Where the time goes" is written from.
 * Samples are wall-clock: on a busy two-core machine a native call also collects the time
 * its thread waited for a core (the socket and log writes show most of this).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./processes.js";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The file behind a profile URL (tsx runs some modules as `data:` URLs naming `__filename`). */
function sourcePath(url: string): string {
  const named = /__filename%3D%22(.*?)%22/.exec(url);
  if (named?.[1]) return decodeURIComponent(named[1]);
  return url.replace(/^file:\/\//, "");
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${relative(ROOT, sourcePath(url))}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
}

/** Milliseconds per function (self, or inclusive of callees) and the busy total. */
export function timesByFunction(
  profile: Profile,
  inclusive: boolean,
): { busyMs: number; rows: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const times = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const deltaMs = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node || node.callFrame.functionName === "(idle)") return;
    busy += deltaMs;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at) as ProfileNode);
      if (!seen.has(key)) times.set(key, (times.get(key) ?? 0) + deltaMs);
      seen.add(key);
      if (!inclusive) break;
    }
  });
  return { busyMs: busy, rows: [...times].sort((a, b) => b[1] - a[1]) };
}

/** Areas by the first pattern matching a function's label (name and file). */
const AREAS: readonly (readonly [string, RegExp])[] = [
  [
    "socket writes (the kernel sending answers)",
    /^(writeLatin1String|writev|writeUtf8String|writeBuffer)( |$)/,
  ],
  ["log writes (handed to libuv's thread pool)", /^writeString( |$)|sonic-boom|node:fs/],
  ["logging (pino)", /pino/],
  ["storage", /src\/storage|better-sqlite3|node_modules\/pg/],
  ["metrics (prom-client)", /prom-client/],
  ["Fastify and its router", /fastify|find-my-way|avvio|light-my-request/],
  [
    "Node's HTTP parser, streams, events, timers",
    /node:_http|node:net|node:internal\/(streams|stream_base|process|async_hooks|timers|http|url)|node:async_hooks|node:events|^parserOn|^onParserExecute|^runMicrotasks|^nextTick|^set natives|^emit /,
  ],
  ["crypto (token SHA-256, hashes)", /crypto|^hash( |$)|^digest|^Hash |timingSafeEqual/],
  ["garbage collection", /garbage collector/],
  [
    "start-up: module loading",
    /node:internal\/modules|tsx|esbuild|compileSourceTextModule|wrapSafe|makeSyncRequest|waitForWorker/,
  ],
  ["our code (src/)", /src\//],
  [
    "buffers, strings, regular expressions, JSON",
    /buffer|RegExp|JSON|hexWrite|compareOffset|utf8|toString|slice/i,
  ],
  ["other native code and (program)", /.*/],
];

/** Self time by area, largest first. */
export function timesByArea(profile: Profile): { busyMs: number; rows: [string, number][] } {
  const { busyMs, rows } = timesByFunction(profile, false);
  const sums = new Map<string, number>();
  for (const [label, ms] of rows) {
    const area = (AREAS.find(([, pattern]) => pattern.test(label)) ?? ["other"])[0];
    sums.set(area, (sums.get(area) ?? 0) + ms);
  }
  return { busyMs, rows: [...sums].sort((a, b) => b[1] - a[1]) };
}

const file = process.argv[2];
// Run as a script only (importing the module for timesByFunction prints nothing).
if (file && process.argv[1] === fileURLToPath(import.meta.url)) {
  const top = Number(process.argv[3] ?? 25);
  const inclusive = process.argv.includes("--inclusive");
  const areas = process.argv.includes("--areas");
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const { busyMs, rows } = areas ? timesByArea(profile) : timesByFunction(profile, inclusive);
  const kind = areas ? "self time by area" : inclusive ? "inclusive time" : "self time";
  console.log(`busy ${busyMs.toFixed(0)} ms (${kind})`);
  for (const [name, ms] of rows.slice(0, top)) {
    const share = ((ms / busyMs) * 100).toFixed(1).padStart(5);
    console.log(`${ms.toFixed(0).padStart(8)} ms ${share}%  ${name}`);
  }
}
