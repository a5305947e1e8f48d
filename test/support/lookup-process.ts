/**
 * The lookup service as a real process (`redlight lookup`, src/main.ts through tsx's
 * loader), for tests and scripts that signal or kill it: a config file, a synthetic list
 * file, clients registered in the database, and stderr (the JSON log) kept in a file so
 * the secrecy audit can read it afterwards.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { generateToken, tokenHash } from "../../src/core/token.js";
import { openStorage } from "../../src/storage/open.js";
import type { NewClient } from "../../src/storage/storage.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

/** Settings of a lookup process's folder. */
export interface LookupProcessSetup {
  /** The folder for config, list, database and logs (must exist). */
  readonly dir: string;
  /** `sqlite:PATH` (relative to dir) or `postgres://…`. */
  readonly database: string;
  /** The list document, written to `dir/list.json`; none when the sources are elsewhere. */
  readonly list?: string;
  /** Extra `lookup:` config. */
  readonly lookup?: Record<string, unknown>;
  readonly logLevel?: string;
  /** The config file's name in `dir`; default `redlight.yaml`. */
  readonly configName?: string;
}

/** Writes `dir/redlight.yaml` and the list; answers the config path. */
export function writeLookupConfig(setup: LookupProcessSetup): string {
  if (setup.list !== undefined) writeFileSync(join(setup.dir, "list.json"), setup.list);
  const tokenFile = join(setup.dir, "operations-token");
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `ops-${generateToken()}\n`, { mode: 0o600 });
  const configFile = join(setup.dir, setup.configName ?? "redlight.yaml");
  writeFileSync(
    configFile,
    stringify({
      database: setup.database,
      log_level: setup.logLevel ?? "info",
      lookup: {
        listen: "127.0.0.1:0",
        metrics_listen: "127.0.0.1:0",
        operations_token_file: "./operations-token",
        filtered_tags: ["csam", "spam"],
        sources: [{ file: "./list.json" }],
        sync_interval: "200ms",
        ...setup.lookup,
      },
    }),
  );
  return configFile;
}

/** The operations token {@link writeLookupConfig} wrote into `dir`. */
export function lookupOperationsToken(dir: string): string {
  return readFileSync(join(dir, "operations-token"), "utf8").trim();
}

/** Registers clients (all tags, any address) and answers their fresh tokens by name. */
export async function addClients(
  database: string,
  dir: string,
  clients: ReadonlyArray<Partial<NewClient> & { name: string }>,
): Promise<Record<string, string>> {
  const url = database.startsWith("sqlite:") ? `sqlite:${join(dir, database.slice(7))}` : database;
  const storage = await openStorage(url);
  const tokens: Record<string, string> = {};
  try {
    for (const c of clients) {
      const token = generateToken();
      tokens[c.name] = token;
      await storage.addClient(
        { tags: null, allowIps: [], scopes: [], ...c, tokenHash: tokenHash(token) },
        Date.now(),
      );
    }
  } finally {
    await storage.close();
  }
  return tokens;
}

/** A running `redlight lookup` process. */
export interface LookupProcess {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly operationsUrl: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The log so far. */
  log(): string;
}

/**
 * Starts `redlight lookup --config dir/<configName>` and waits until it listens. Its log
 * (stderr and stdout) is appended to `dir/<logName>`.
 */
export async function spawnLookup(
  dir: string,
  logName = "lookup.log",
  // Generous: tsx compiles the service at start, slow on a busy machine; the wait ends
  // as soon as the process listens.
  timeoutMs = 120_000,
  configName = "redlight.yaml",
): Promise<LookupProcess> {
  const logFile = join(dir, logName);
  const fd = openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    ["--import", TSX, join(ROOT, "src/main.ts"), "lookup", "--config", configName],
    { cwd: dir, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  const start = readFileSync(logFile, "utf8").length;
  const log = () => readFileSync(logFile, "utf8").slice(start);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = log()
      .split("\n")
      .find((l) => l.includes('"lookup service listening"'));
    if (line !== undefined) {
      const { api, operations } = JSON.parse(line) as { api: string; operations: string };
      return { child, apiUrl: api, operationsUrl: operations, exited, log };
    }
    if (child.exitCode !== null || Date.now() > until) {
      child.kill("SIGKILL");
      throw new Error(`the lookup process did not start:\n${log().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
