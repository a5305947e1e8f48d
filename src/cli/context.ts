/** What every CLI command shares: finding and loading the config, opening storage. */
import { loadConfigFile } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { openStorage } from "../storage/open.js";
import type { Storage } from "../storage/storage.js";

/** A failure to report on stderr with exit code 2 (usage or config problems). */
export class CliError extends Error {}

/** The config path from `--config` or REDLIGHT_CONFIG. */
export function configPath(option: string | undefined): string {
  const path = option ?? process.env.REDLIGHT_CONFIG;
  if (!path) throw new CliError("no config file: pass --config FILE or set REDLIGHT_CONFIG");
  return path;
}

/** Loads the config or fails with its validation message. */
export function loadConfig(option: string | undefined): Config {
  const config = loadConfigFile(configPath(option));
  if (!config.ok) throw new CliError(config.error);
  return config.value;
}

/** Runs `fn` with the config's storage open, closing it afterwards. */
export async function withStorage<T>(
  option: string | undefined,
  fn: (storage: Storage, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(option);
  const storage = await openStorage(config.database);
  try {
    return await fn(storage, config);
  } finally {
    await storage.close();
  }
}

/** Human output goes to stderr; stdout carries only what scripts consume (tokens, hashes). */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}
