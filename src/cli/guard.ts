/**
 * `redlight guard …`: runs the guard, unfreezes an account, prints the Synapse module
 * config. Thin: the behaviour lives in src/services/guard/.
 */
import { readFileSync } from "node:fs";
import type { Config, GuardConfig } from "../config/schema.js";
import { readSecretFile } from "../config/secrets.js";
import { parseUserId } from "../core/ids.js";
import { hashTerm, normaliseTokens } from "../core/text/index.js";
import { antispamModuleYaml } from "../services/guard/module-config.js";
import { unfreezeStandalone } from "../services/guard/operations/standalone-unfreeze.js";
import { sweepOnce } from "../services/guard/sweeps.js";
import { loadTermMatcher, readLines, readTermKey } from "../services/guard/term-lists.js";
import { pino } from "pino";
import { createLogger } from "../observability/logger.js";
import { CliError, loadConfig, say } from "./context.js";
import { runServices } from "./serve.js";

/** The config, which must have a guard section. */
export function loadGuardConfig(option: string | undefined): Config & { guard: GuardConfig } {
  const config = loadConfig(option);
  if (config.guard === undefined)
    throw new CliError("the config has no guard section (see docs/guard.md)");
  return { ...config, guard: config.guard };
}

/** Runs the guard until SIGTERM/SIGINT. */
export async function serveGuard(options: { config?: string }): Promise<void> {
  await runServices(loadGuardConfig(options.config), { lookup: false, guard: true });
}

/**
 * Unfreezes an account: through the running guard's operations listener, so its memory of
 * the freeze goes too; if no guard answers there (or no operations token is configured),
 * directly.
 */
export async function unfreezeGuardUser(
  userId: string,
  options: { config?: string },
): Promise<void> {
  const user = parseUserId(userId);
  if (!user.ok) throw new CliError(`${userId}: ${user.error}`);
  const config = loadGuardConfig(options.config);
  const response = await askRunningGuard(config.guard, user.value);
  if (response !== undefined) {
    const body = (await response.json().catch(() => ({}))) as { summary?: string; error?: string };
    if (!response.ok)
      throw new CliError(body.error ?? `the guard answered HTTP ${response.status}`);
    say(body.summary ?? `${user.value}: unfrozen`);
    return;
  }
  let outcome;
  try {
    outcome = await unfreezeStandalone(config.guard, user.value, "the command line", say);
  } catch (e) {
    throw new CliError((e as Error).message); // an unreadable secret file, say
  }
  if (!outcome.ok) throw new CliError(outcome.error);
  say(outcome.value.summary);
}

/** POST /admin/unfreeze with the operations token; undefined when no guard can be asked. */
async function askRunningGuard(guard: GuardConfig, user: string): Promise<Response | undefined> {
  if (guard.operations_token_file === undefined) {
    say(
      "no guard.operations_token_file: unfreezing directly (a running guard notices within guard.cache.frozen_recheck)",
    );
    return undefined;
  }
  let token: string;
  try {
    token = readSecretFile(guard.operations_token_file);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  try {
    return await fetch(`http://${guard.metrics_listen}/admin/unfreeze`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ user_id: user }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    say(`no guard answers on ${guard.metrics_listen}; unfreezing directly`);
    return undefined;
  }
}

/** Prints the synapse-http-antispam `modules:` entry for this config on stdout. */
export function printModuleConfig(options: { config?: string; guardUrl?: string }): void {
  const config = loadGuardConfig(options.config);
  process.stdout.write(antispamModuleYaml(config.guard, options.guardUrl));
}

/**
 * Prints the digests of a plain term list (file, or stdin with "-"): SHA-256 for a
 * `format: sha256` list, or HMAC-SHA-256 under the key in `--key-file` for a
 * `format: hmac-sha256` list. The `max_words` the list needs goes to stderr.
 */
export function hashTerms(file: string, options: { keyFile?: string } = {}): void {
  let key: Buffer | undefined;
  try {
    key = options.keyFile === undefined ? undefined : readTermKey(options.keyFile);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const lines =
    file === "-"
      ? readFileSync(0, "utf8")
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== "" && !l.startsWith("#"))
      : readLines(file);
  let maxWords = 1;
  const format = key === undefined ? "sha256" : "hmac-sha256";
  const out = [`# ${format} term digests (redlight guard hash-terms)`];
  for (const term of lines) {
    maxWords = Math.max(maxWords, normaliseTokens(term).length);
    out.push(...hashTerm(term, key));
  }
  process.stdout.write(`${out.join("\n")}\n`);
  say(
    `${lines.length} terms hashed; set format: ${format} and max_words: ${Math.min(maxWords, 16)} for this list`,
  );
}

/**
 * Checks a text against the configured term lists, as a directory search would be: prints
 * the list id and harms of a match (never which term), for operators testing their lists.
 */
export function checkText(text: string, options: { config?: string }): void {
  const config = loadGuardConfig(options.config);
  let matcher;
  try {
    matcher = loadTermMatcher(config.guard.terms);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const match = matcher?.match(text);
  if (match === undefined || !match.matched) return say("no match: the search would run");
  say(`match: term list ${match.listId}, harms ${match.harms.join(", ") || "(none)"}`);
}

/** One sweep now (docs/sweeps.md): prints what it found and did, in counts. */
export async function sweepNow(options: { config?: string; dryRun?: boolean }): Promise<void> {
  const config = loadGuardConfig(options.config);
  // Each action is logged (without room ids) on stderr; the counts go to stdout.
  const logger = createLogger(config.log_level, "guard-sweep", pino.destination(2));
  let report;
  try {
    report = await sweepOnce(config.guard, logger, options.dryRun === true);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  for (const line of report.lines()) say(line);
  if (report.failures > 0 && report.rooms === 0)
    throw new CliError("the sweep could not enumerate or check the rooms");
}
