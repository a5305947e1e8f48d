/** What every scenario gets from the driver: the mode's durations, a work folder, a log. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** Durations and repetitions of one mode. */
export interface Timing {
  /** Seconds of load discarded before each target is measured (JIT, connections, caches). */
  readonly warmupSeconds: number;
  /** Seconds of each measured load run. */
  readonly seconds: number;
  /** Measured rounds of service then baseline; the round with the median ratio is reported. */
  readonly rounds: number;
  /** Repetitions of in-process measurements (list loads, term matching). */
  readonly reps: number;
}

/** `--quick` stays under two minutes in all; the full run under about fifteen. */
export const TIMINGS: Readonly<Record<"quick" | "full", Timing>> = {
  quick: { warmupSeconds: 1, seconds: 5, rounds: 1, reps: 1 },
  full: { warmupSeconds: 5, seconds: 20, rounds: 3, reps: 3 },
};

/** Load generator connections ("50 concurrent connections"). */
export const CONNECTIONS = 50;
/** Rooms in the lookup scenarios' list. */
export const LOOKUP_ROOMS = 100_000;

/** Handed to each scenario. */
export interface BenchContext {
  readonly mode: "quick" | "full";
  readonly timing: Timing;
  /** Temp folder of this run; each scenario takes a subfolder. */
  readonly workDir: string;
  /** Node flags for service processes (e.g. `--cpu-prof` with `--profile`). */
  readonly serviceFlags: readonly string[];
  /** Progress on stderr. */
  log(message: string): void;
}

/** A fresh subfolder of the run's work folder. */
export function scenarioDir(ctx: BenchContext, name: string): string {
  const dir = join(ctx.workDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
