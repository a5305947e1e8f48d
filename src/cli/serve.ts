/**
 * Running services in the foreground: `redlight lookup`, `redlight guard` and the demo's
 * all-in-one. SIGHUP reloads the list; SIGTERM/SIGINT drain and stop, guard first (it
 * depends on the lookup), then the lookup.
 */
import type { Config } from "../config/schema.js";
import { createLogger } from "../observability/logger.js";
import { redactUrlsDeep } from "../observability/redact.js";
import { startGuard, type GuardHandle } from "../services/guard/main.js";
import { startLookup, type LookupHandle } from "../services/lookup/main.js";
import { CliError, loadConfig } from "./context.js";

/** Which services to run. */
export interface ServiceSelection {
  readonly lookup: boolean;
  readonly guard: boolean;
}

/** What is listening once services have started. */
export interface RunningServices {
  readonly lookup?: LookupHandle;
  readonly guard?: GuardHandle;
}

/** Runs the lookup service from a config file. */
export async function serveLookup(options: { config?: string }): Promise<void> {
  await runServices(loadConfig(options.config), { lookup: true, guard: false });
}

/** Runs the selected services from a loaded config until a stop signal. */
export async function runServices(
  config: Config,
  selection: ServiceSelection,
  onReady?: (running: RunningServices) => void,
): Promise<void> {
  // Without a source every lookup would answer "no match": refuse rather than pretend.
  if (selection.lookup && config.lookup.sources.length === 0) {
    throw new CliError("lookup.sources is empty: configure at least one list source");
  }
  if (selection.guard && config.guard === undefined) {
    throw new CliError("the config has no guard section (see docs/guard.md)");
  }
  const lookupLogger = createLogger(config.log_level, "lookup");
  const guardLogger = createLogger(config.log_level, "guard");
  lookupLogger.info({ config: loggableConfig(config) }, "effective configuration");
  const lookup = selection.lookup ? await startLookup(config, lookupLogger) : undefined;
  let guard: GuardHandle | undefined;
  try {
    guard = selection.guard ? await startGuard(config, guardLogger) : undefined;
  } catch (e) {
    await lookup?.stop();
    throw new CliError(`the guard did not start: ${(e as Error).message}`);
  }
  onReady?.({ ...(lookup ? { lookup } : {}), ...(guard ? { guard } : {}) });
  if (lookup) {
    process.on("SIGHUP", () => {
      lookupLogger.info("SIGHUP: reloading the list");
      lookup
        .reload()
        .catch((e: unknown) =>
          lookupLogger.error({ err: { message: (e as Error).message } }, "reload failed"),
        );
    });
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      lookupLogger.info({ signal }, "shutting down: draining in-flight requests");
      (async () => {
        await guard?.stop();
        await lookup?.stop();
      })().then(resolve, (e: unknown) => {
        lookupLogger.error({ err: { message: (e as Error).message } }, "error while stopping");
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}

/**
 * The config as it may be logged. Secrets live in files, but URLs can still carry them: a
 * database password, a presigned list URL's signature, a token in a homeserver URL. Every
 * URL and connection string in it goes through the one redaction rule.
 */
export function loggableConfig(config: Config): Config {
  return redactUrlsDeep(config);
}
