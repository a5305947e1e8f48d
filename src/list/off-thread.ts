/**
 * Loading lists off the event loop. Decrypting, decoding and building a list of a million
 * rooms takes seconds of CPU; on the main thread every lookup waited for it (a reload under
 * load saw a p99 of 600 ms). Here a worker thread does that work and hands back the
 * finished arrays by transfer; the main thread only wraps them and swaps them in.
 */
import type { Worker } from "node:worker_threads";
import { err, ok, type Result } from "../core/result.js";
import { SourceList } from "../core/source-list.js";
import type { DecodedSource, ListBuildAnswer, ListBuildTask } from "./build-task.js";
import { startWorker } from "../threads/start-worker.js";

/** `bytes` in an ArrayBuffer of its own (a small Buffer may be a window on Node's pool). */
function movable(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** Runs one task in a fresh worker thread. */
function runInWorker(task: ListBuildTask, transfer: ArrayBuffer[]): Promise<ListBuildAnswer> {
  return new Promise((resolve) => {
    let answered = false;
    const answer = (a: ListBuildAnswer) => {
      if (!answered) resolve(a);
      answered = true;
    };
    let worker: Worker;
    try {
      worker = startWorker(import.meta.url, "build-worker", {
        workerData: task,
        transferList: transfer,
      });
    } catch (e) {
      answer({ ok: false, error: `the list worker did not start (${(e as Error).name})` });
      return;
    }
    worker.once("message", (message: ListBuildAnswer) => answer(message));
    // Out of memory, or a bug: the thread is gone, the service and its last good list stay.
    worker.once("error", (e: Error) =>
      answer({ ok: false, error: `the list worker failed (${e.name})` }),
    );
    worker.once("exit", (code) =>
      answer({ ok: false, error: `the list worker stopped early (exit code ${code})` }),
    );
  });
}

function wrap(answer: ListBuildAnswer): Result<DecodedSource, string> {
  if (!answer.ok) return err(answer.error);
  return ok({ list: SourceList.fromParts(answer.parts), skipped: answer.skipped });
}

/**
 * Decrypts (when `key` is given), decodes and builds a source's bytes in a worker thread.
 * `data` is moved to the worker: the caller must not use it afterwards.
 */
export async function decodeOffThread(
  data: Uint8Array,
  key: Uint8Array | undefined,
): Promise<Result<DecodedSource, string>> {
  const moved = movable(data);
  // The key is copied to the worker, not moved; `movable` keeps the copy to its 32 bytes.
  const task: ListBuildTask = { kind: "decode", data: moved, key: key && movable(key) };
  return wrap(await runInWorker(task, [moved.buffer as ArrayBuffer]));
}

/** Merges lists into one in a worker thread (the lists are copied there and stay usable). */
export async function mergeOffThread(
  lists: readonly SourceList[],
): Promise<Result<SourceList, string>> {
  const answer = await runInWorker({ kind: "merge", lists: lists.map((l) => l.toParts()) }, []);
  const merged = wrap(answer);
  return merged.ok ? ok(merged.value.list) : merged;
}
