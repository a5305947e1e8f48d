/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit
 * that crosses the threshold: it copies the WAL into the database file and fsyncs it,
 * synchronously, so every few hundred hits one lookup stood still for 2–20 ms and every
 * request behind it waited (the lookup's p99). Here a worker thread with a connection of
 * its own checkpoints every interval; PASSIVE never blocks the service's writers.
 *
 * The worker is a few lines of plain JavaScript run with `eval`, so it needs no build and
 * no TypeScript loader; it loads the same better-sqlite3 the service uses.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the worker checkpoints. */
export const CHECKPOINT_EVERY_MS = 500;

const CHECKPOINTER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Locked by another process for now: the next round tries again.
  }
}, workerData.everyMs);
parentPort.once("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** A running checkpointer. */
export interface Checkpointer {
  /** Stops the worker (after its current checkpoint, if any). */
  stop(): Promise<void>;
}

/** Starts checkpointing the WAL of the database file at `path` in a worker thread. */
export function startCheckpointer(path: string, everyMs = CHECKPOINT_EVERY_MS): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(CHECKPOINTER, { eval: true, workerData: { driver, path, everyMs } });
  worker.unref(); // never what keeps a process alive
  // A failed worker leaves the connection's own (larger) automatic checkpoint as a backstop.
  worker.on("error", () => undefined);
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    async stop() {
      worker.postMessage("stop");
      const timeout = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
