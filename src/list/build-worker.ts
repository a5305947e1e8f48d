/**
 * Entry point of a list worker thread: runs the one task it was started with (workerData),
 * moves the built list's arrays to the main thread (a transfer, not a copy) and ends. A
 * fresh thread per task: the parsed document, the decrypted text and the key die with it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { transferListOf } from "../core/source-list.js";
import { runListBuildTask, type ListBuildTask } from "./build-task.js";

const answer = runListBuildTask(workerData as ListBuildTask);
parentPort?.postMessage(answer, answer.ok ? transferListOf(answer.parts) : []);
