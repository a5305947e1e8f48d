/**
 * Starting a worker thread from a module beside the caller, whether Redlight runs from the
 * built package (dist/, JavaScript: a plain Worker) or from TypeScript source (tests, bench,
 * `tsx src/main.ts`): Node 20 does not apply the parent's `--import` loader hooks to a
 * worker's entry module, so there the worker loads tsx first, through tsx's ESM API (whose
 * register() works inside a worker, unlike its `--import` entry).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts the worker whose entry is `name` (without extension) beside `callerUrl` (the
 * caller's `import.meta.url`), in the same form — `.js` or `.ts` — as the caller.
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions): Worker {
  const fromSource = callerUrl.endsWith(".ts");
  const entry = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, callerUrl);
  if (!fromSource) return new Worker(entry, options);
  const api = createRequire(callerUrl)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  const boot =
    `import(${JSON.stringify(pathToFileURL(api).href)})` +
    `.then((tsx) => tsx.register())` +
    `.then(() => import(${JSON.stringify(entry.href)}))`;
  return new Worker(boot, { ...options, eval: true });
}
