/**
 * Pieces the guard's end-to-end tests and the latency bench share: secrets on disk, a
 * lookup service whose synthetic list can be changed (and that can be stopped and started
 * again on the same port), and the guard's config file, from which the running guard, the
 * CLI and Synapse's module config are all made.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import { stringify } from "yaml";
import { loadGuardConfig } from "../src/cli/guard.js";
import { parseConfig } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { ljs4Hash } from "../src/core/hash.js";
import { generateToken, tokenHash } from "../src/core/token.js";
import { createLogger, type Logger } from "../src/observability/logger.js";
import { startLookup, type LookupHandle } from "../src/services/lookup/main.js";
import { openStorage } from "../src/storage/open.js";

/** A free TCP port on loopback (for listeners that must keep their port across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Writes a secret file (mode 0600) and returns its path. */
export function writeSecret(dir: string, name: string, value: string): string {
  mkdirSync(join(dir, "secrets"), { recursive: true, mode: 0o700 });
  const path = join(dir, "secrets", name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
}

/** A lookup service on a fixed port with a list the test rewrites. */
export class TestLookup {
  handle: LookupHandle | undefined;
  private readonly listed = new Map<string, string>();
  readonly listFile: string;
  readonly logger: Logger;

  private constructor(
    readonly dir: string,
    readonly config: Config,
    readonly token: string,
  ) {
    this.listFile = join(dir, "list.json");
    this.logger = createLogger(
      "info",
      "lookup",
      pino.destination({ dest: join(dir, "lookup.log"), sync: true }),
    );
  }

  /**
   * Prepares the database (one client with the directory scope) and a list with one
   * synthetic room; `lookup` is merged over the `lookup:` section (quotas, say).
   */
  static async create(
    dir: string,
    lookup: Record<string, unknown> = {},
    scopes: readonly string[] = ["directory"],
  ): Promise<TestLookup> {
    const port = await freePort();
    const parsed = parseConfig(
      {
        database: "sqlite:./lookup.db",
        lookup: {
          listen: `127.0.0.1:${port}`,
          metrics_listen: "127.0.0.1:0",
          filtered_tags: ["csam"],
          sources: [{ file: "./list.json", refresh: "1h" }],
          sync_interval: "200ms",
          // Every attempt counts, however close together (the tests make them quickly).
          freeze: { repeat_grace: "1ms" },
          ...lookup,
        },
      },
      dir,
    );
    if (!parsed.ok) throw new Error(parsed.error);
    const token = generateToken();
    const storage = await openStorage(parsed.value.database);
    await storage.addClient(
      {
        name: "homeserver",
        tokenHash: tokenHash(token),
        tags: null,
        allowIps: [],
        scopes: [...scopes],
      },
      Date.now(),
    );
    await storage.close();
    const service = new TestLookup(dir, parsed.value, token);
    service.writeList();
    return service;
  }

  get url(): string {
    return `http://${this.config.lookup.listen}`;
  }

  async start(): Promise<void> {
    this.handle = await startLookup(this.config, this.logger);
  }

  async stop(): Promise<void> {
    await this.handle?.stop();
    this.handle = undefined;
  }

  /** Adds rooms to the list (synthetic report ids) and reloads it in the running service. */
  async list(...rooms: string[]): Promise<void> {
    for (const room of rooms) this.listed.set(room, `e2e-report-${this.listed.size + 1}`);
    this.writeList();
    await this.handle?.reload();
  }

  /** The report id a listed room got. */
  reportOf(room: string): string | undefined {
    return this.listed.get(room);
  }

  private writeList(): void {
    // A list with no report does not load; one synthetic room keeps it valid from the start.
    const entries = [["!synthetic-0000:example.org", "e2e-report-0"], ...this.listed];
    const reports = entries.map(([room, reportId]) => ({
      report_id: reportId,
      // As a hash: the lookup's rdlist decoder does not take room version 12 ids (no server
      // part), which is what Synapse 1.163 creates by default.
      room: { room_id_hash: ljs4Hash(room as string) },
      report_info: { tags: ["csam"] },
    }));
    writeFileSync(this.listFile, JSON.stringify(reports));
  }
}

/** What a guard config file needs from the test. */
export interface GuardFileInputs {
  readonly dir: string;
  readonly lookupUrl: string;
  readonly lookupToken: string;
  readonly homeserverUrl: string;
  readonly guardPort: number;
  readonly operationsPort: number;
  readonly adminToken?: string;
  readonly alerts?: { readonly roomId: string; readonly botToken: string };
  /** Merged over the guard section. */
  readonly guard?: Record<string, unknown>;
}

/** Writes the secrets shared by Synapse and the guard (once: Synapse reads them at start). */
export function writeGuardSecrets(dir: string, lookupToken: string): void {
  writeSecret(dir, "antispam", randomBytes(24).toString("hex"));
  writeSecret(dir, "pseudonym", randomBytes(32).toString("hex"));
  writeSecret(dir, "lookup-token", lookupToken);
}

/**
 * Writes `redlight.yaml` (tokens beside it) and loads it exactly as `redlight guard`
 * does. Call {@link writeGuardSecrets} first.
 */
export function writeGuardConfig(inputs: GuardFileInputs): {
  file: string;
  config: GuardRunConfig;
} {
  const { dir } = inputs;
  if (!existsSync(join(dir, "secrets/operations-token")))
    writeSecret(dir, "operations-token", `ops-${randomBytes(16).toString("hex")}`);
  const guard: Record<string, unknown> = {
    listen: `127.0.0.1:${inputs.guardPort}`,
    metrics_listen: `127.0.0.1:${inputs.operationsPort}`,
    operations_token_file: "./secrets/operations-token",
    homeserver_url: inputs.homeserverUrl,
    antispam_secret_file: "./secrets/antispam",
    pseudonym_secret_file: "./secrets/pseudonym",
    lookup: { url: inputs.lookupUrl, api_token_file: "./secrets/lookup-token" },
    ...inputs.guard,
  };
  if (inputs.adminToken !== undefined) {
    writeSecret(dir, "admin-token", inputs.adminToken);
    guard["admin_token_file"] = "./secrets/admin-token";
  }
  if (inputs.alerts !== undefined) {
    writeSecret(dir, "alert-bot-token", inputs.alerts.botToken);
    guard["alerts"] = {
      room_id: inputs.alerts.roomId,
      access_token_file: "./secrets/alert-bot-token",
      ...(guard["alerts"] as object | undefined),
    };
  }
  const file = join(dir, "redlight.yaml");
  writeFileSync(file, stringify({ log_level: "info", guard }));
  return { file, config: loadGuardConfig(file) };
}

/**
 * The `lookup.private_lookup` section serving the private lookup (v2), with a fresh
 * synthetic key seed written into `dir`.
 */
export function privateLookupSection(dir: string): Record<string, unknown> {
  writeFileSync(join(dir, "oprf-seed"), `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  return { private_lookup: { key_seed_file: "./oprf-seed", epoch: "e1" } };
}

/** The operations token of a guard config written by {@link writeGuardConfig}. */
export function operationsToken(config: {
  guard: { operations_token_file?: string | undefined };
}): string {
  const file = config.guard.operations_token_file;
  if (file === undefined) throw new Error("no guard.operations_token_file");
  return readFileSync(file, "utf8").trim();
}

/** A config with its guard section, as the guard runs it. */
export type GuardRunConfig = ReturnType<typeof loadGuardConfig>;
