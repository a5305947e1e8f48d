/**
 * Starts the guard for production: composes it (`compose.ts`, the one place it is wired)
 * with the real adapters, then listens on its three listeners.
 */
import type { Config } from "../../config/schema.js";
import { listenOn } from "../../http/listen.js";
import type { Logger } from "../../observability/logger.js";
import { openGuardDatabase } from "../../storage/guard-database.js";
import { composeGuard } from "./compose.js";

export { GUARD_BODY_LIMIT } from "./compose.js";

/** A running guard. */
export interface GuardHandle {
  /** `http://host:port` of the callback listener. */
  readonly url: string;
  readonly operationsUrl: string;
  /** The room directory proxy's listener, when `guard.directory` is configured. */
  readonly directoryUrl: string | undefined;
  /** The dashboard's listener, when `guard.dashboard` is configured. */
  readonly dashboardUrl: string | undefined;
  /** Resolves when queued alerts are sent or given up (tests). */
  alertsIdle(): Promise<void>;
  /** Stops listening, posts the last invite summary, stops the alert bot. */
  stop(): Promise<void>;
}

/** Starts the guard described by `config.guard`. */
export async function startGuard(config: Config, logger: Logger): Promise<GuardHandle> {
  const guard = config.guard;
  if (guard === undefined) throw new Error("the config has no guard section");
  const database = await openGuardDatabase(guard.database);
  let composed: ReturnType<typeof composeGuard>;
  try {
    composed = composeGuard(guard, { logger, database });
  } catch (e) {
    await database.close();
    throw e;
  }
  let url: string, operationsUrl: string, directoryUrl: string | undefined;
  let dashboardUrl: string | undefined;
  try {
    url = await listenOn(composed.api, guard.listen);
    operationsUrl = await listenOn(composed.operations, guard.metrics_listen);
    if (composed.directory !== undefined && guard.directory !== undefined)
      directoryUrl = await listenOn(composed.directory, guard.directory.listen);
    if (composed.dashboard !== undefined && guard.dashboard !== undefined)
      dashboardUrl = await listenOn(composed.dashboard, guard.dashboard.listen);
  } catch (e) {
    // A listener that could not bind must not leave the others (or the alert bot) running.
    await composed.stop();
    await database.close();
    throw e;
  }
  composed.start();
  logger.info(
    { callbacks: url, operations: operationsUrl, alerts: guard.alerts !== undefined },
    "guard listening",
  );
  if (directoryUrl !== undefined && guard.directory !== undefined)
    logger.info(
      { directory: directoryUrl, style: guard.directory.style, mode: guard.directory.mode },
      "room directory guard listening",
    );

  if (dashboardUrl !== undefined)
    logger.info({ dashboard: dashboardUrl }, "guard dashboard listening");
  return {
    url,
    operationsUrl,
    directoryUrl,
    dashboardUrl,
    alertsIdle: () => composed.alertsIdle(),
    async stop() {
      await composed.stop();
      await database.close();
      logger.info("guard stopped");
    },
  };
}
