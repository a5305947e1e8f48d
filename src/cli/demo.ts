/**
 * `redlight demo`: the README's first command. Sets up the all-in-one default on the
 * embedded database (SQLite): a lookup service with a synthetic list, encrypted at rest as
 * a real provider would keep it, and a guard that asks it, as it would beside a Synapse.
 * Prints how to try both with curl.
 */
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { loadConfigFile } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { readSecretFile } from "../config/secrets.js";
import { ljs4Hash } from "../core/hash.js";
import { generateToken, tokenHash } from "../core/token.js";
import { encryptList, generateListKey, parseListKey } from "../list/encryption.js";
import { openStorage } from "../storage/open.js";
import { ensurePrivateDir, writePrivateFile } from "../storage/private-files.js";
import { CliError, say } from "./context.js";
import { runServices, type RunningServices } from "./serve.js";

/** The synthetic room id number `n` (never a real room). */
export function syntheticRoomId(n: number): string {
  return `!synthetic-${String(n).padStart(4, "0")}:example.org`;
}

/** A synthetic rdlist document: every tenth room tagged only "spam", the rest "csam". */
export function syntheticList(rooms: number): Buffer {
  const reports = Array.from({ length: rooms }, (_, i) => ({
    report_id: `demo-report-${i + 1}`,
    room: { room_id: syntheticRoomId(i + 1) },
    report_info: { tags: (i + 1) % 10 === 0 ? ["spam"] : ["csam"] },
  }));
  return Buffer.from(JSON.stringify(reports));
}

/** Writes a secret file once (mode 0600) and returns its content. */
function secretFile(path: string, make: () => string): string {
  if (!existsSync(path)) writePrivateFile(path, `${make()}\n`);
  return readSecretFile(path);
}

/** Prepares the demo folder and runs lookup and guard in the foreground. */
export async function demo(options: { dir: string; rooms: string; port: string }): Promise<void> {
  const dir = resolve(options.dir);
  const rooms = Number(options.rooms);
  const port = Number(options.port);
  if (!Number.isInteger(rooms) || rooms < 1 || rooms > 2_000_000) {
    throw new CliError("--rooms must be 1…2000000");
  }
  if (!Number.isInteger(port) || port < 1 || port > 64_000)
    throw new CliError("--port must be 1…64000");
  // Owner-only, whatever the umask: the folder holds the database and the secrets.
  ensurePrivateDir(join(dir, "secrets"));
  const key = parseListKey(
    secretFile(join(dir, "secrets/list.key"), () => generateListKey().trim()),
  );
  if (!key.ok) throw new CliError(key.error);
  writePrivateFile(join(dir, "list.json.enc"), encryptList(syntheticList(rooms), key.value));
  const antispamSecret = secretFile(join(dir, "secrets/antispam"), () =>
    randomBytes(24).toString("hex"),
  );
  secretFile(join(dir, "secrets/pseudonym"), () => randomBytes(32).toString("hex"));
  const operationsToken = secretFile(join(dir, "secrets/operations-token"), () =>
    randomBytes(24).toString("hex"),
  );
  const token = generateToken();
  writePrivateFile(join(dir, "secrets/lookup-token"), `${token}\n`);
  const configFile = join(dir, "config.yaml");
  writeFileSync(configFile, demoConfigYaml(port));
  const config = loadConfigFile(configFile);
  if (!config.ok) throw new CliError(config.error);
  await registerDemoClient(config.value, token);
  await runServices(config.value, { lookup: true, guard: true }, (running) =>
    printTryIt(running, { dir, configFile, rooms, token, antispamSecret, operationsToken }),
  );
}

function demoConfigYaml(port: number): string {
  const config = {
    database: "sqlite:./redlight.db",
    lookup: {
      listen: `127.0.0.1:${port}`,
      metrics_listen: `127.0.0.1:${port + 1000}`,
      operations_token_file: "./secrets/operations-token",
      filtered_tags: ["csam"],
      sources: [{ file: "./list.json.enc", encryption_key_file: "./secrets/list.key" }],
    },
    guard: {
      listen: `127.0.0.1:${port + 1}`,
      metrics_listen: `127.0.0.1:${port + 1001}`,
      operations_token_file: "./secrets/operations-token",
      homeserver_url: "http://127.0.0.1:8008",
      antispam_secret_file: "./secrets/antispam",
      pseudonym_secret_file: "./secrets/pseudonym",
      lookup: { url: `http://127.0.0.1:${port}`, api_token_file: "./secrets/lookup-token" },
    },
  };
  return `# Written by \`redlight demo\`; see config.example.yaml for every key.\n${stringify(config)}`;
}

/** The demo client, with the scope the guard's room checks use; a rerun rotates its token. */
async function registerDemoClient(config: Config, token: string): Promise<void> {
  const storage = await openStorage(config.database);
  try {
    const client = {
      name: "demo",
      tokenHash: tokenHash(token),
      tags: null,
      allowIps: [],
      scopes: ["directory"],
    };
    if ((await storage.addClient(client, Date.now())) === "exists") {
      await storage.rotateToken("demo", client.tokenHash, Date.now());
    }
  } finally {
    await storage.close();
  }
}

function printTryIt(
  running: RunningServices,
  demo: {
    dir: string;
    configFile: string;
    rooms: number;
    token: string;
    antispamSecret: string;
    operationsToken: string;
  },
): void {
  const apiUrl = running.lookup?.apiUrl ?? "";
  const user = ljs4Hash("@demo-user:example.org");
  const lookupCurl = (room: string) =>
    `curl -i -X PUT ${apiUrl}/_matrix/loj/v1/abuse_lookup -H 'Authorization: Bearer ${demo.token}' -d '{"room_id_hash":"${ljs4Hash(room)}","user_id_hash":"${user}"}'`;
  const guardCurl = (room: string) =>
    `curl -i -X POST ${running.guard?.url ?? ""}/_redlight/antispam/user_may_join_room -H 'Authorization: Bearer ${demo.antispamSecret}' -d '{"user":"@demo-user:example.org","room":"${room}","is_invited":false}'`;
  say("");
  say(`Redlight demo: ${demo.rooms} synthetic rooms from an encrypted list in ${demo.dir}`);
  say(`Config: ${demo.configFile}`);
  say("");
  say("The lookup service (LJS-4). A listed room answers 200 with its report id; others 204:");
  say(`  ${lookupCurl(syntheticRoomId(1))}`);
  say(`  ${lookupCurl(syntheticRoomId(demo.rooms + 1))}`);
  say("");
  say(
    "The guard, called as Synapse's synapse-http-antispam module would. Listed: 403; clean: 200 {}:",
  );
  say(`  ${guardCurl(syntheticRoomId(2))}`);
  say(`  ${guardCurl(syntheticRoomId(demo.rooms + 1))}`);
  say("");
  const operations = `-H 'Authorization: Bearer ${demo.operationsToken}'`;
  say("Operations, with the token in secrets/operations-token (as `redlight list reload` and");
  say("`redlight guard unfreeze` send it). A reload answers the room count; an unfreeze, 200:");
  say(`  curl -i -X POST ${running.lookup?.operationsUrl ?? ""}/admin/reload ${operations}`);
  say(
    `  curl -i -X POST ${running.guard?.operationsUrl ?? ""}/admin/unfreeze ${operations} -H 'Content-Type: application/json' -d '{"user_id":"@demo-user:example.org"}'`,
  );
  say("");
  say(`For a real Synapse: node bin/redlight.js guard module-config -c ${demo.configFile}`);
  say("Three refused joins freeze a user; then every join is refused. Ctrl-C stops.");
  say("");
}
