/**
 * Starts the real lookup service as its own process, the way an operator does: a generated
 * config file, an encrypted synthetic list with its key, a client registered in the
 * database, then `redlight lookup --config …` (src/main.ts through tsx).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseListKey, generateListKey } from "../src/list/encryption.js";
import { generateToken, tokenHash } from "../src/core/token.js";
import { openStorage } from "../src/storage/open.js";
import { freePort, startService, tsxArgs, waitForHttp, type Service } from "./processes.js";
import { encryptedSyntheticList } from "./synthetic.js";

/** A running lookup service process. */
export interface LookupProcess {
  readonly service: Service;
  readonly apiUrl: string;
  readonly operationsUrl: string;
  /** The bench client's token (send as `Authorization: Bearer`). */
  readonly token: string;
  /** The bearer token of POST /admin/reload. */
  readonly operationsToken: string;
  stop(): Promise<void>;
}

/** Options of {@link startLookupProcess}. */
export interface LookupProcessOptions {
  /** A fresh folder for config, list, key, SQLite file and log. */
  readonly dir: string;
  readonly rooms: number;
  /** `sqlite:PATH` or `postgres://…`; default a SQLite file in `dir`. */
  readonly database?: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  readonly name?: string;
  /** Scopes of the bench client, e.g. `directory` for the batch check. */
  readonly scopes?: readonly string[];
  /** Extra keys of the `lookup:` section (e.g. `private_lookup`). */
  readonly lookup?: Readonly<Record<string, unknown>>;
  /** Deadline of the start (a large private lookup set is built before listening). */
  readonly readyTimeoutMs?: number;
}

/**
 * Quotas and the freeze threshold raised out of the way: the bench measures the lookup path,
 * not the 429/403 path that a single synthetic client would otherwise drive it into.
 * Everything else keeps its defaults (log level info, 2 s state sync, audit of every hit).
 */
const UNLIMITED = { requests: 1_000_000_000, per: "1m" };

/** Writes the files, registers the client, starts the service and waits until it is ready. */
export async function startLookupProcess(options: LookupProcessOptions): Promise<LookupProcess> {
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const keyText = generateListKey();
  const key = parseListKey(keyText);
  if (!key.ok) throw new Error(key.error);
  writeFileSync(join(dir, "list.key"), keyText, { mode: 0o600 });
  writeFileSync(join(dir, "list.json.enc"), encryptedSyntheticList(options.rooms, key.value));
  const operationsToken = generateToken();
  writeFileSync(join(dir, "operations-token"), `${operationsToken}\n`, { mode: 0o600 });

  const [apiPort, opsPort] = [await freePort(), await freePort()];
  const database = options.database ?? `sqlite:${join(dir, "redlight.db")}`;
  const configFile = join(dir, "config.yaml");
  writeFileSync(
    configFile,
    stringify({
      database,
      log_level: "info",
      lookup: {
        listen: `127.0.0.1:${apiPort}`,
        metrics_listen: `127.0.0.1:${opsPort}`,
        operations_token_file: "./operations-token",
        filtered_tags: ["csam"],
        sources: [{ file: "./list.json.enc", encryption_key_file: "./list.key", refresh: "1h" }],
        freeze: { threshold: 1_000_000_000 },
        rate_limits: { client: UNLIMITED, user: UNLIMITED, directory: UNLIMITED },
        ...options.lookup,
      },
    }),
  );

  const token = generateToken();
  const storage = await openStorage(database);
  try {
    await storage.addClient(
      {
        name: "bench",
        tokenHash: tokenHash(token),
        tags: null,
        allowIps: [],
        scopes: options.scopes ?? [],
      },
      Date.now(),
    );
  } finally {
    await storage.close();
  }

  const service = startService({
    name: options.name ?? "lookup",
    args: [...tsxArgs("src/main.ts"), "lookup", "--config", configFile],
    nodeFlags: options.nodeFlags ?? [],
    logDir: dir,
    cwd: dir,
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  try {
    await waitForHttp(
      service,
      `${apiUrl}/ready`,
      options.readyTimeoutMs === undefined ? {} : { timeoutMs: options.readyTimeoutMs },
    );
  } catch (e) {
    await service.stop();
    throw e;
  }
  return {
    service,
    apiUrl,
    operationsUrl: `http://127.0.0.1:${opsPort}`,
    token,
    operationsToken,
    stop: () => service.stop(),
  };
}

/** The bare baseline server as its own process, ready to answer. */
export async function startBareServer(dir: string): Promise<{ url: string; service: Service }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const service = startService({
    name: "bare",
    args: [...tsxArgs("bench/bare-server.ts"), String(port)],
    logDir: dir,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(service, `${url}/`, { status: 204 });
  return { url, service };
}
