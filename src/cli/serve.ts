/** `redlight lookup`: runs the service until SIGTERM/SIGINT; SIGHUP reloads the list. */
import type { Config } from "../config/schema.js";
import { createLogger } from "../observability/logger.js";
import { startLookup } from "../services/lookup/main.js";
import { CliError, loadConfig } from "./context.js";

/** Runs the lookup service from a config file. */
export async function serveLookup(options: { config?: string }): Promise<void> {
  await runLookup(loadConfig(options.config));
}

/** Runs the lookup service from a loaded config, wiring process signals. */
export async function runLookup(config: Config, onReady?: (apiUrl: string) => void): Promise<void> {
  // Without a source every lookup would answer "no match": refuse rather than pretend.
  if (config.lookup.sources.length === 0) {
    throw new CliError("lookup.sources is empty: configure at least one list source");
  }
  const logger = createLogger(config.log_level, "lookup");
  logger.info(
    { config: { ...config, database: redactDatabaseUrl(config.database) } },
    "effective configuration",
  );
  const service = await startLookup(config, logger);
  onReady?.(service.apiUrl);
  process.on("SIGHUP", () => {
    logger.info("SIGHUP: reloading the list");
    service
      .reload()
      .catch((e: unknown) =>
        logger.error({ err: { message: (e as Error).message } }, "reload failed"),
      );
  });
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, "shutting down: draining in-flight requests");
      service.stop().then(resolve, (e: unknown) => {
        logger.error({ err: { message: (e as Error).message } }, "error while stopping");
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}

/** Hides a password in a postgres:// URL before it is logged. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/, "$1:[redacted]@");
}
