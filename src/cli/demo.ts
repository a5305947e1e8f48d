/**
 * `redlight demo`: the README's first command. Sets up a self-contained lookup service on
 * the embedded default (SQLite) with a synthetic list, encrypted at rest as a real provider
 * would keep it, a demo client, and prints how to try it with curl.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { loadConfigFile } from "../config/load.js";
import { readSecretFile } from "../config/secrets.js";
import { ljs4Hash } from "../core/hash.js";
import { generateToken, tokenHash } from "../core/token.js";
import { encryptList, generateListKey, parseListKey } from "../list/encryption.js";
import { openStorage } from "../storage/open.js";
import { CliError, say } from "./context.js";
import { runLookup } from "./serve.js";

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

/** Prepares the demo folder and runs the lookup service in the foreground. */
export async function demo(options: { dir: string; rooms: string; port: string }): Promise<void> {
  const dir = resolve(options.dir);
  const rooms = Number(options.rooms);
  if (!Number.isInteger(rooms) || rooms < 1 || rooms > 2_000_000)
    throw new CliError("--rooms must be 1…2000000");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, "list.key");
  if (!existsSync(keyFile)) writeFileSync(keyFile, generateListKey(), { mode: 0o600 });
  const key = parseListKey(readSecretFile(keyFile));
  if (!key.ok) throw new CliError(`${keyFile}: ${key.error}`);
  writeFileSync(join(dir, "list.json.enc"), encryptList(syntheticList(rooms), key.value), {
    mode: 0o600,
  });
  const configFile = join(dir, "config.yaml");
  writeFileSync(
    configFile,
    `# Written by \`redlight demo\`; see config.example.yaml for every key.\n${stringify({
      database: "sqlite:./redlight.db",
      lookup: {
        listen: `127.0.0.1:${options.port}`,
        metrics_listen: `127.0.0.1:${Number(options.port) + 1000}`,
        filtered_tags: ["csam"],
        sources: [{ file: "./list.json.enc", encryption_key_file: "./list.key" }],
      },
    })}`,
  );
  const config = loadConfigFile(configFile);
  if (!config.ok) throw new CliError(config.error);

  const token = generateToken();
  const storage = await openStorage(config.value.database);
  try {
    const hash = tokenHash(token);
    if (
      (await storage.addClient(
        { name: "demo", tokenHash: hash, tags: null, allowIps: [], scopes: [] },
        Date.now(),
      )) === "exists"
    ) {
      await storage.rotateToken("demo", hash, Date.now());
    }
  } finally {
    await storage.close();
  }

  await runLookup(config.value, (apiUrl) => {
    const listed = ljs4Hash(syntheticRoomId(1));
    const clean = ljs4Hash(syntheticRoomId(rooms + 1));
    const user = ljs4Hash("@demo-user:example.org");
    const curl = (room: string) =>
      `curl -i -X PUT ${apiUrl}/_matrix/loj/v1/abuse_lookup -H 'Authorization: Bearer ${token}' -d '{"room_id_hash":"${room}","user_id_hash":"${user}"}'`;
    say("");
    say(`Redlight lookup demo: ${rooms} synthetic rooms loaded from an encrypted list in ${dir}`);
    say(`Config: ${configFile}   Metrics: http://${config.value.lookup.metrics_listen}/metrics`);
    say("");
    say(`A listed room (${syntheticRoomId(1)}) answers 200 with its report id:`);
    say(`  ${curl(listed)}`);
    say(`An unlisted room answers 204:`);
    say(`  ${curl(clean)}`);
    say(`Hash any id with: node bin/redlight.js hash '!room:example.org'`);
    say(`Three hits by one user freeze that user (403 LOJ_ACCOUNT_FROZEN). Ctrl-C stops.`);
    say("");
  });
}
