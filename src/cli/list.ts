/** `redlight list …`: preparing an encrypted list, checking sources, asking for a reload. */
import { readFileSync } from "node:fs";
import { durationMs } from "../config/schema.js";
import { readSecretFile } from "../config/secrets.js";
import { decodeRdlist } from "../core/rdlist.js";
import { encryptList, generateListKey, parseListKey } from "../list/encryption.js";
import { listSource } from "../list/sources.js";
import { writePrivateFile } from "../storage/private-files.js";
import { CliError, loadConfig, say } from "./context.js";

/** Writes a new random key file (mode 0600). */
export function keygen(out: string): void {
  try {
    writePrivateFile(out, generateListKey(), { exclusive: true });
  } catch (e) {
    throw new CliError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  say(`wrote a new list key to ${out}; keep it apart from the encrypted list`);
}

/**
 * Encrypts a list read from `--in` or stdin. Reading stdin lets a provider pipe the list
 * from its source straight into the encrypted file, so it never sits on disk in clear.
 */
export function encrypt(options: { key: string; in?: string; out: string }): void {
  const key = parseListKey(readSecretFile(options.key));
  if (!key.ok) throw new CliError(`${options.key}: ${key.error}`);
  const plain = readFileSync(options.in ?? 0);
  const decoded = decodeRdlist(plain.toString("utf8"));
  if (!decoded.ok) throw new CliError(`refusing to encrypt: ${decoded.error}`);
  writePrivateFile(options.out, encryptList(plain, key.value));
  plain.fill(0);
  say(
    `encrypted ${decoded.value.builder.size} rooms (${decoded.value.skipped} invalid entries skipped) to ${options.out}`,
  );
}

/** Loads every configured source once and reports counts (never entries). */
export async function check(options: { config?: string }): Promise<void> {
  const config = loadConfig(options.config);
  if (config.lookup.sources.length === 0) throw new CliError("lookup.sources is empty");
  let failed = 0;
  for (const sourceConfig of config.lookup.sources) {
    const source = listSource(sourceConfig, durationMs(sourceConfig.refresh));
    const outcome = await source.fetch();
    await source.stop?.();
    if (!outcome.ok) {
      failed++;
      say(`${source.label}: FAILED: ${outcome.error}`);
    } else if (outcome.value.kind === "loaded") {
      say(
        `${source.label}: ${outcome.value.list.size} rooms, ${outcome.value.skipped} invalid entries skipped, tags: ${outcome.value.list.tags().join(", ")}`,
      );
    }
  }
  if (failed > 0) throw new CliError(`${failed} source(s) failed`);
}

/** Asks a running lookup service to reload now (through its operations listener). */
export async function reload(options: { config?: string }): Promise<void> {
  const config = loadConfig(options.config);
  const tokenFile = config.lookup.operations_token_file;
  if (tokenFile === undefined)
    throw new CliError(
      "no lookup.operations_token_file in the config: set it, or send the lookup process SIGHUP",
    );
  let token: string;
  try {
    token = readSecretFile(tokenFile);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const url = `http://${config.lookup.metrics_listen}/admin/reload`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(120_000),
    });
  } catch (e) {
    throw new CliError(`cannot reach the lookup service at ${url}: ${(e as Error).message}`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { error?: string } };
    throw new CliError(`reload failed: HTTP ${response.status} ${body.error?.error ?? ""}`.trim());
  }
  const body = (await response.json()) as { entries: number };
  say(`reloaded: ${body.entries} rooms in service`);
}
