/**
 * Services under test run as separate processes on loopback, as in production: the driver
 * (and its load generator) never shares an event loop or a heap with what it measures.
 * TypeScript runs through tsx's loader, so no build step is needed and the JIT sees the same
 * JavaScript a build would produce.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (bench/ lives directly under it). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSX_LOADER = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;

/** Node arguments that make a process run a .ts entry point. */
export const tsxArgs = (script: string): string[] => ["--import", TSX_LOADER, join(ROOT, script)];

/** A port the kernel reports free right now (a later bind may still race; loopback only). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A child process whose output goes to a log file (so a full pipe never stalls it). */
export interface Service {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the log, for error messages. */
  tail(lines?: number): string;
}

/** Options of {@link startService}. */
export interface StartOptions {
  readonly name: string;
  /** Arguments after `node` (use {@link tsxArgs} for a .ts entry point). */
  readonly args: readonly string[];
  /** Extra node flags before the script, e.g. `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  readonly logDir: string;
  readonly cwd?: string;
}

/** Spawns `node [flags] args…` with stdout and stderr appended to `<logDir>/<name>.log`. */
export function startService(options: StartOptions): Service {
  const logFile = join(options.logDir, `${options.name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...options.args], {
    cwd: options.cwd ?? ROOT,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, NODE_ENV: "production" },
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const tail = (lines = 20) => {
    try {
      return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  };
  return {
    name: options.name,
    logFile,
    child,
    tail,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers `status` (default 200), or fails after `timeoutMs`. */
export async function waitForHttp(
  service: Service,
  url: string,
  options: { status?: number; timeoutMs?: number; init?: RequestInit } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const wanted = options.status ?? 200;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited (${service.child.exitCode}):\n${service.tail()}`);
    }
    try {
      const response = await fetch(url, { ...options.init, signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === wanted) return;
      last = `HTTP ${response.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${service.name} not ready at ${url} (${last}):\n${service.tail()}`);
}

/** Runs a node child to completion and parses the JSON it prints last on stdout. */
export async function runJsonChild<T>(
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): Promise<T> {
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  const lastLine = out.trimEnd().split("\n").pop() ?? "";
  return JSON.parse(lastLine) as T;
}
