/**
 * The directory's text matching, off the event loop that answers Synapse's callbacks.
 *
 * Matching is linear in the text but not cheap: before the limits, one 64 KiB search term
 * held the guard's only event loop for seconds, and a join callback arriving meanwhile
 * missed its lookup deadline and was answered by the fail mode. The directory's texts
 * (search terms, room names, topics and aliases of pages) come from anyone, so they are
 * matched here, by worker threads that each own a copy of the term matcher. The queue is
 * bounded: when it is full a job is refused at once (`busy`) and the directory answers
 * 503 — the directory waits, never a callback. Invites and publications keep matching on
 * the main thread: their texts are bounded by Synapse's event size.
 */
import type { Worker } from "node:worker_threads";
import { err, ok, type Result } from "../../../core/result.js";
import type { TermList, TermMatch, TermMatcher } from "../../../core/text/index.js";
import {
  matchGroups,
  type DirectoryTextMatcher,
  type TextJobAnswer,
  type TextMatchFailure,
} from "./text-job.js";
import { startWorker } from "../../../threads/start-worker.js";

/**
 * Matcher threads of the guard. One: the guard shares a small machine with Synapse, and a
 * thread is enough to keep the callbacks' event loop free; the budget per page and the
 * length limit per search bound each job.
 */
export const DIRECTORY_TEXT_THREADS = 1;
/** Jobs waiting for the thread before the directory answers 503. */
export const DIRECTORY_TEXT_QUEUE = 32;
/**
 * Longest a job waits for the thread before it is answered `busy` unrun: on a loaded
 * machine a full queue could otherwise keep a searcher waiting past any proxy's timeout.
 */
export const DIRECTORY_TEXT_MAX_WAIT_MS = 2_000;

type Answer = Result<readonly TermMatch[], TextMatchFailure>;

interface Job {
  readonly id: number;
  /** Answers `busy` if the job is still waiting after `maxWaitMs`. */
  timer?: NodeJS.Timeout;
  readonly groups: readonly (readonly string[])[];
  readonly search: boolean;
  readonly resolve: (answer: Answer) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

/** Options of {@link ThreadedTextMatcher}. */
export interface ThreadedTextMatcherOptions {
  /** The term lists; each thread builds its own matcher from them. */
  readonly lists: readonly TermList[];
  readonly threads: number;
  /** Jobs that may wait for a thread; one more is refused as `busy`. */
  readonly maxQueued: number;
  /** A job that waited longer for a thread is answered `busy` without running. */
  readonly maxWaitMs: number;
  /** Told when a thread fails (it is replaced). */
  readonly onThreadFailure?: (reason: string) => void;
}

/** A small pool of matcher threads with a bounded queue. */
export class ThreadedTextMatcher implements DirectoryTextMatcher {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #stopped = false;

  constructor(private readonly options: ThreadedTextMatcherOptions) {
    for (let i = 0; i < Math.max(1, options.threads); i++) {
      const slot: Slot = { worker: undefined as unknown as Worker, job: undefined };
      this.#spawn(slot);
      this.#slots.push(slot);
    }
  }

  /** Jobs waiting for a thread (the `maxQueued` bound applies to these). */
  get queued(): number {
    return this.#queue.length;
  }

  match(groups: readonly (readonly string[])[], search = false): Promise<Answer> {
    if (groups.length === 0) return Promise.resolve(ok([]));
    if (this.#stopped) return Promise.resolve(err("failed"));
    const idle = this.#slots.find((slot) => slot.job === undefined);
    if (idle === undefined && this.#queue.length >= this.options.maxQueued)
      return Promise.resolve(err("busy"));
    return new Promise((resolve) => {
      const job: Job = { id: this.#nextId++, groups, search, resolve };
      if (idle !== undefined) return this.#run(idle, job);
      this.#queue.push(job);
      job.timer = setTimeout(() => {
        const at = this.#queue.indexOf(job);
        if (at === -1) return;
        this.#queue.splice(at, 1);
        resolve(err("busy"));
      }, this.options.maxWaitMs);
      job.timer.unref();
    });
  }

  /** Stops the threads; waiting and running jobs are answered `failed`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const job of this.#queue.splice(0)) {
      clearTimeout(job.timer);
      job.resolve(err("failed"));
    }
    await Promise.all(
      this.#slots.map(async (slot) => {
        slot.job?.resolve(err("failed"));
        slot.job = undefined;
        await slot.worker.terminate();
      }),
    );
  }

  /** Gives `slot` a new thread. */
  #spawn(slot: Slot): void {
    const worker = startWorker(import.meta.url, "text-worker", {
      workerData: { lists: this.options.lists },
    });
    // The threads never keep the process alive on their own.
    worker.unref();
    slot.worker = worker;
    worker.on("message", (answer: TextJobAnswer) => {
      const job = slot.job;
      if (job === undefined || job.id !== answer.id) return;
      slot.job = undefined;
      job.resolve(ok(answer.matches));
      this.#next(slot);
    });
    let gone = false;
    const failed = (reason: string) => {
      if (gone || this.#stopped) return;
      gone = true;
      this.options.onThreadFailure?.(reason);
      const job = slot.job;
      slot.job = undefined;
      job?.resolve(err("failed"));
      // A thread that failed (out of memory, a bug) is replaced; its job is not retried.
      void worker.terminate();
      this.#spawn(slot);
      this.#next(slot);
    };
    worker.once("error", (e: Error) => failed(e.name));
    worker.once("exit", (code) => failed(`exit code ${code}`));
  }

  #run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.postMessage({ id: job.id, groups: job.groups, search: job.search });
  }

  #next(slot: Slot): void {
    const job = this.#queue.shift();
    if (job === undefined) return;
    clearTimeout(job.timer);
    this.#run(slot, job);
  }
}

/** The same answers on the caller's thread (unit tests, tools): no isolation. */
export class InlineTextMatcher implements DirectoryTextMatcher {
  constructor(private readonly matcher: TermMatcher | undefined) {}

  match(groups: readonly (readonly string[])[], search = false): Promise<Answer> {
    const { matcher } = this;
    if (matcher === undefined) return Promise.resolve(ok(groups.map(() => ({ matched: false }))));
    return Promise.resolve(ok(matchGroups(matcher, groups, search)));
  }
}
