/**
 * Entry point of a directory text thread (text-pool.ts): builds its own copy of the term
 * matcher from the lists in `workerData`, then answers match jobs one at a time. All the
 * directory's matching runs here, so an expensive search or page never holds the event
 * loop that answers Synapse's callbacks.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TermMatcher, type TermList } from "../../../core/text/index.js";
import { matchGroups, type TextJob, type TextJobAnswer } from "./text-job.js";

const matcher = new TermMatcher((workerData as { lists: TermList[] }).lists);
parentPort?.on("message", (job: TextJob) => {
  const answer: TextJobAnswer = {
    id: job.id,
    matches: matchGroups(matcher, job.groups, job.search),
  };
  parentPort?.postMessage(answer);
});
