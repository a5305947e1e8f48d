/**
 * `redlight guard …`: runs the guard, unfreezes an account, prints the Synapse module
 * config. Thin: the behaviour lives in src/services/guard/.
 */
import type { Config, GuardConfig } from "../config/schema.js";
import { parseUserId } from "../core/ids.js";
import { antispamModuleYaml } from "../services/guard/module-config.js";
import { unfreezeStandalone } from "../services/guard/standalone-unfreeze.js";
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
 * the freeze goes too; if no guard answers there, directly.
 */
export async function unfreezeGuardUser(
  userId: string,
  options: { config?: string },
): Promise<void> {
  const user = parseUserId(userId);
  if (!user.ok) throw new CliError(`${userId}: ${user.error}`);
  const config = loadGuardConfig(options.config);
  const actor = "the command line";
  let response: Response | undefined;
  try {
    response = await fetch(`http://${config.guard.metrics_listen}/admin/unfreeze`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: user.value, actor }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    say(`no guard answers on ${config.guard.metrics_listen}; unfreezing directly`);
  }
  if (response !== undefined) {
    const body = (await response.json().catch(() => ({}))) as { summary?: string; error?: string };
    if (!response.ok)
      throw new CliError(body.error ?? `the guard answered HTTP ${response.status}`);
    say(body.summary ?? `${user.value}: unfrozen`);
    return;
  }
  let outcome;
  try {
    outcome = await unfreezeStandalone(config.guard, user.value, actor, say);
  } catch (e) {
    throw new CliError((e as Error).message); // an unreadable secret file, say
  }
  if (!outcome.ok) throw new CliError(outcome.error);
  say(outcome.value.summary);
}

/** Prints the synapse-http-antispam `modules:` entry for this config on stdout. */
export function printModuleConfig(options: { config?: string; guardUrl?: string }): void {
  const config = loadGuardConfig(options.config);
  process.stdout.write(antispamModuleYaml(config.guard, options.guardUrl));
}
