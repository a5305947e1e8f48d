/**
 * Where the time goes in a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile`
 * for the service processes): per function, self time or (with `--inclusive`) time with
 * everything it called, largest first. Idle time is left out of the percentages.
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP] [--inclusive]
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

const file = process.argv[2];
// Run as a script only (importing the module for timesByFunction prints nothing).
if (file && process.argv[1] === fileURLToPath(import.meta.url)) {
  const top = Number(process.argv[3] ?? 25);
  const inclusive = process.argv.includes("--inclusive");
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const { busyMs, rows } = timesByFunction(profile, inclusive);
  console.log(`busy ${busyMs.toFixed(0)} ms (${inclusive ? "inclusive" : "self"} time)`);
  for (const [name, ms] of rows.slice(0, top)) {
    const share = ((ms / busyMs) * 100).toFixed(1).padStart(5);
    console.log(`${ms.toFixed(0).padStart(8)} ms ${share}%  ${name}`);
  }
}
