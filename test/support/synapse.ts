/**
 * A real Synapse for end-to-end tests: one throwaway homeserver per call, SQLite, bound to
 * 127.0.0.1 on a free port, optionally with the synapse-http-antispam module configured by
 * the caller. Needs the venv built by `scripts/setup-synapse.sh`.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, openSync, closeSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { MatrixTestClient } from "./matrix-client.js";

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Python of the venv that `scripts/setup-synapse.sh` builds. The script is the one place
 * that knows where the venv lives; it prints the path (and installs if needed, cached).
 */
export function synapseVenvPython(): string {
  return execFileSync("bash", [join(projectRoot, "scripts/setup-synapse.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

/** The `modules:` entry of synapse-http-antispam; `config` is passed through verbatim. */
export const ANTISPAM_MODULE = "synapse_http_antispam.HTTPAntispam";

export interface SynapseOptions {
  /** Default `redlight.test`. */
  readonly serverName?: string;
  /** Config block of synapse-http-antispam (`base_url`, `enabled_callbacks`, …); no module when absent. */
  readonly antispam?: Readonly<Record<string, unknown>>;
  /** Top-level homeserver.yaml keys merged over the defaults (shallow). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
  /** Default 60 s. */
  readonly startupTimeoutMs?: number;
  /** Keep the temp dir after stop() (also with env REDLIGHT_KEEP_SYNAPSE=1), for debugging. */
  readonly keepDir?: boolean;
}

export interface RegisteredUser {
  readonly userId: string;
  readonly accessToken: string;
  readonly password: string;
}

export interface SynapseHandle {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly serverName: string;
  readonly port: number;
  /** Temp dir holding homeserver.yaml, signing key, SQLite db and the log. */
  readonly dir: string;
  /** Synapse's stdout and stderr (INFO level). */
  readonly logFile: string;
  /** Milliseconds from spawn until `/_matrix/client/versions` answered. */
  readonly startupMs: number;
  /** Registers a user with the shared secret (`/_synapse/admin/v1/register`). */
  registerUser(
    localpart: string,
    options?: { admin?: boolean; password?: string },
  ): Promise<RegisteredUser>;
  /** A client acting as `user`. */
  client(user: RegisteredUser): MatrixTestClient;
  readLog(): Promise<string>;
  /** SIGTERM, then SIGKILL after 10 s; removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a fresh Synapse and waits until its client API answers. */
export async function startSynapse(options: SynapseOptions = {}): Promise<SynapseHandle> {
  const python = synapseVenvPython();
  if (!existsSync(python)) {
    throw new Error(`no Synapse venv at ${python}: run \`bash scripts/setup-synapse.sh\` first`);
  }
  const serverName = options.serverName ?? "redlight.test";
  const dir = await mkdtemp(join(tmpdir(), "redlight-synapse-"));
  const port = await freePort();
  const sharedSecret = randomBytes(24).toString("hex");
  const baseUrl = `http://127.0.0.1:${port}`;
  const configPath = join(dir, "homeserver.yaml");
  const logFile = join(dir, "synapse.log");

  await writeFile(join(dir, "signing.key"), signingKeyLine());
  const config = {
    ...homeserverConfig({ dir, port, serverName, sharedSecret, baseUrl }),
    ...options.extraConfig,
  };
  if (options.antispam !== undefined) {
    config["modules"] = [{ module: ANTISPAM_MODULE, config: options.antispam }];
  }
  await writeFile(configPath, stringify(config));

  const logFd = openSync(logFile, "a");
  const started = performance.now();
  const child = spawn(python, ["-m", "synapse.app.homeserver", "-c", configPath], {
    cwd: dir,
    stdio: ["ignore", logFd, logFd],
    env: withoutProxy(process.env),
  });
  closeSync(logFd);
  // A crashed test worker must not leave a homeserver behind.
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killOnExit);
    await terminate(child);
    if (options.keepDir !== true && process.env["REDLIGHT_KEEP_SYNAPSE"] !== "1") {
      await rm(dir, { recursive: true, force: true });
    }
  };

  try {
    await waitForVersions(baseUrl, child, options.startupTimeoutMs ?? 60_000);
  } catch (error) {
    const tail = (await readFile(logFile, "utf8").catch(() => ""))
      .split("\n")
      .slice(-40)
      .join("\n");
    await stop();
    throw new Error(`Synapse did not start: ${String(error)}\n--- log tail ---\n${tail}`);
  }
  const startupMs = Math.round(performance.now() - started);

  return {
    baseUrl,
    serverName,
    port,
    dir,
    logFile,
    startupMs,
    registerUser: (localpart, opts = {}) => registerUser(baseUrl, sharedSecret, localpart, opts),
    client: (user) => new MatrixTestClient(baseUrl, user.userId, user.accessToken),
    readLog: () => readFile(logFile, "utf8"),
    stop,
  };
}

interface ConfigInputs {
  dir: string;
  port: number;
  serverName: string;
  sharedSecret: string;
  baseUrl: string;
}

// Rate limits high enough that no test trips them; Synapse ignores keys it does not know.
const RELAXED = { per_second: 1000, burst_count: 1000 };

function homeserverConfig(c: ConfigInputs): Record<string, unknown> {
  return {
    server_name: c.serverName,
    public_baseurl: `${c.baseUrl}/`,
    pid_file: join(c.dir, "homeserver.pid"),
    listeners: [
      {
        port: c.port,
        bind_addresses: ["127.0.0.1"],
        type: "http",
        tls: false,
        x_forwarded: false,
        // Client only (admin API included): no federation listener.
        resources: [{ names: ["client"], compress: false }],
      },
    ],
    database: { name: "sqlite3", args: { database: join(c.dir, "homeserver.db") } },
    media_store_path: join(c.dir, "media_store"),
    signing_key_path: join(c.dir, "signing.key"),
    registration_shared_secret: c.sharedSecret,
    macaroon_secret_key: randomBytes(24).toString("hex"),
    form_secret: randomBytes(24).toString("hex"),
    enable_registration: false,
    report_stats: false,
    enable_metrics: false,
    // No outbound federation at all, and no key server (`matrix.org` by default).
    federation_domain_whitelist: [],
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    presence: { enabled: false },
    url_preview_enabled: false,
    // Synapse denies every directory publication by default; tests of a publish gate need it open.
    room_list_publication_rules: [{ action: "allow" }],
    rc_message: RELAXED,
    rc_registration: RELAXED,
    rc_login: { address: RELAXED, account: RELAXED, failed_attempts: RELAXED },
    rc_joins: { local: RELAXED, remote: RELAXED },
    rc_joins_per_room: RELAXED,
    rc_invites: { per_room: RELAXED, per_user: RELAXED, per_issuer: RELAXED },
    rc_third_party_invite: RELAXED,
    rc_admin_redaction: RELAXED,
    rc_room_creation: RELAXED,
    rc_reports: RELAXED,
    rc_presence: { per_user: RELAXED },
    rc_media_create: RELAXED,
    rc_delayed_event_mgmt: RELAXED,
    rc_3pid_validation: RELAXED,
    rc_key_requests: RELAXED,
  };
}

/** `ed25519 <key id> <unpadded base64 seed>`, the format of Synapse's signing key file. */
function signingKeyLine(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  const seed = Buffer.from(privateKey.export({ format: "jwk" }).d ?? "", "base64url");
  const keyId = `a_${randomBytes(3).toString("base64url")}`;
  return `ed25519 ${keyId} ${seed.toString("base64").replace(/=+$/, "")}\n`;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForVersions(
  baseUrl: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  let exit: string | undefined;
  child.once("exit", (code, signal) => (exit = `exited with code ${code} signal ${signal}`));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(`Synapse ${exit}`);
    try {
      const res = await fetch(`${baseUrl}/_matrix/client/versions`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`no answer from ${baseUrl} within ${timeoutMs} ms`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

async function registerUser(
  baseUrl: string,
  sharedSecret: string,
  localpart: string,
  options: { admin?: boolean; password?: string },
): Promise<RegisteredUser> {
  const url = `${baseUrl}/_synapse/admin/v1/register`;
  const nonceRes = await fetch(url);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const admin = options.admin ?? false;
  const password = options.password ?? randomBytes(12).toString("hex");
  // HMAC-SHA1 over nonce\0user\0password\0admin|notadmin, keyed with the shared secret.
  const mac = createHmac("sha1", sharedSecret)
    .update([nonce, localpart, password, admin ? "admin" : "notadmin"].join("\0"))
    .digest("hex");
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
  });
  const body = (await res.json()) as { user_id?: string; access_token?: string };
  if (!res.ok || body.user_id === undefined || body.access_token === undefined) {
    throw new Error(`registering ${localpart} failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return { userId: body.user_id, accessToken: body.access_token, password };
}

/** The module's HTTP client honours proxy variables; the endpoint is always on loopback. */
function withoutProxy(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const proxyVars = new Set(["http_proxy", "https_proxy", "all_proxy", "no_proxy"]);
  return Object.fromEntries(Object.entries(env).filter(([k]) => !proxyVars.has(k.toLowerCase())));
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
