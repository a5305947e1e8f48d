/**
 * A lookup service started in-process on loopback for integration tests: temp folder,
 * synthetic list file, SQLite (or a given PostgreSQL URL), clients with fresh tokens, and
 * JSON logs captured to a file that tests can scan for secrets.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { ljs4Hash } from "../../src/core/hash.js";
import { generateToken, tokenHash } from "../../src/core/token.js";
import { createLogger } from "../../src/observability/logger.js";
import { startLookup, type LookupHandle } from "../../src/services/lookup/main.js";
import { openStorage } from "../../src/storage/open.js";
import type { NewClient } from "../../src/storage/storage.js";

/** The synthetic listed room number n. */
export const listedRoom = (n: number) => `!synthetic-${String(n).padStart(4, "0")}:example.org`;
/** A synthetic room that is never listed. */
export const cleanRoom = (n: number) => `!clean-${String(n).padStart(4, "0")}:example.org`;

/** A synthetic rdlist document: rooms 1..n tagged csam, and room n+1 tagged only spam. */
export function syntheticRdlist(n: number): string {
  const reports = Array.from({ length: n }, (_, i) => ({
    report_id: `report-${i + 1}`,
    room: { room_id: listedRoom(i + 1) },
    report_info: { tags: ["csam"] },
  }));
  reports.push({
    report_id: "report-spam",
    room: { room_id: listedRoom(n + 1) },
    report_info: { tags: ["spam"] },
  });
  return JSON.stringify(reports);
}

export interface FixtureOptions {
  rooms?: number;
  database?: string;
  /** Extra `lookup:` config merged over the fixture's. */
  lookup?: Record<string, unknown>;
  clients?: Array<Partial<NewClient> & { name: string }>;
  /** Serve the private lookup (LJS-4 v2) with a fresh synthetic seed, epoch `e1`. */
  privateLookup?: boolean;
}

export interface LookupFixture {
  readonly dir: string;
  readonly config: Config;
  readonly handle: LookupHandle;
  readonly tokens: Record<string, string>;
  /** The bearer token of POST /admin/reload. */
  readonly operationsToken: string;
  readonly logFile: string;
  /** PUT abuse_lookup with a room id and user id (hashed here). */
  lookup(token: string | undefined, room: string, user: string): Promise<Response>;
  /** Any request to the API listener. */
  request(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts a lookup service for one test suite. */
export async function startLookupFixture(options: FixtureOptions = {}): Promise<LookupFixture> {
  const dir = mkdtempSync(join(tmpdir(), "redlight-lookup-"));
  writeFileSync(join(dir, "list.json"), syntheticRdlist(options.rooms ?? 10));
  const operationsToken = `ops-${generateToken()}`;
  writeFileSync(join(dir, "operations-token"), `${operationsToken}\n`, { mode: 0o600 });
  if (options.privateLookup === true) {
    writeFileSync(join(dir, "oprf-seed"), `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  }
  const privateLookup =
    options.privateLookup === true
      ? { private_lookup: { key_seed_file: "./oprf-seed", epoch: "e1" } }
      : {};
  const parsed = parseConfig(
    {
      database: options.database ?? "sqlite:./redlight.db",
      log_level: "debug",
      lookup: {
        listen: "127.0.0.1:0",
        metrics_listen: "127.0.0.1:0",
        operations_token_file: "./operations-token",
        filtered_tags: ["csam", "spam"],
        sources: [{ file: "./list.json" }],
        sync_interval: "100ms",
        ...privateLookup,
        ...options.lookup,
      },
    },
    dir,
  );
  if (!parsed.ok) throw new Error(parsed.error);
  const config = parsed.value;
  const tokens: Record<string, string> = {};
  const storage = await openStorage(config.database);
  for (const c of options.clients ?? [{ name: "hs1" }]) {
    const token = generateToken();
    tokens[c.name] = token;
    await storage.addClient(
      { tags: null, allowIps: [], scopes: [], ...c, tokenHash: tokenHash(token) },
      Date.now(),
    );
  }
  await storage.close();
  const logFile = join(dir, "lookup.log");
  const logger = createLogger("debug", "lookup", pino.destination({ dest: logFile, sync: true }));
  const handle = await startLookup(config, logger);
  const request = (path: string, init?: RequestInit) => fetch(`${handle.apiUrl}${path}`, init);
  return {
    dir,
    config,
    handle,
    tokens,
    operationsToken,
    logFile,
    request,
    lookup: (token, room, user) =>
      request("/_matrix/loj/v1/abuse_lookup", {
        method: "PUT",
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        body: JSON.stringify({ room_id_hash: ljs4Hash(room), user_id_hash: ljs4Hash(user) }),
      }),
    async stop() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads a fixture's log file. */
export function readLog(fixture: LookupFixture): string {
  return readFileSync(fixture.logFile, "utf8");
}
