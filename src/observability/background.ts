/**
 * The one way to start background work (STYLE.md "Edges"): errors are caught and logged
 * with the task's name instead of becoming unhandled rejections.
 */
import type { Logger } from "pino";

/** Starts `fn` without awaiting it; a failure is logged, never thrown. */
export type RunInBackground = (name: string, fn: () => Promise<unknown>) => void;

/** Makes a runInBackground bound to a logger. */
export function backgroundRunner(logger: Logger): RunInBackground {
  return (name, fn) => {
    fn().catch((e: unknown) => {
      logger.error(
        { task: name, err: { name: (e as Error).name, message: (e as Error).message } },
        "background task failed",
      );
    });
  };
}
