/**
 * Starts the guard for production: composes it (`compose.ts`, the one place it is wired)
 * with the real adapters, then listens on its three listeners (four with the client-API
 * proxy).
 */
import type { Config } from "../../config/schema.js";
import { listenOn } from "../../http/listen.js";
import type { Logger } from "../../observability/logger.js";
import { openGuardDatabase } from "../../storage/guard-database.js";
import { composeGuard } from "./compose.js";

export { GUARD_BODY_LIMIT } from "./compose.js";

/** `guard.client_proxy.listen`'s default, when only `guard.directory` starts the proxy. */
const CLIENT_PROXY_LISTEN = "127.0.0.1:8482";

/** A running guard. */
export interface GuardHandle {
  /** `http://host:port` of the callback listener. */
  readonly url: string;
  readonly operationsUrl: string;
  /** The client-API proxy's listener, with `guard.client_proxy` or `guard.directory`. */
  readonly clientProxyUrl: string | undefined;
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
  let url: string, operationsUrl: string, clientProxyUrl: string | undefined;
  let dashboardUrl: string | undefined;
  try {
    url = await listenOn(composed.api, guard.listen);
    operationsUrl = await listenOn(composed.operations, guard.metrics_listen);
    if (composed.clientProxy !== undefined)
      clientProxyUrl = await listenOn(
        composed.clientProxy,
        guard.client_proxy?.listen ?? CLIENT_PROXY_LISTEN,
      );
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
  if (clientProxyUrl !== undefined)
    logger.info(
      {
        client_proxy: clientProxyUrl,
        ...(guard.directory === undefined
          ? {}
          : { style: guard.directory.style, mode: guard.directory.mode }),
      },
      "client-API proxy listening",
    );

  if (dashboardUrl !== undefined)
    logger.info({ dashboard: dashboardUrl }, "guard dashboard listening");
  return {
    url,
    operationsUrl,
    clientProxyUrl,
    dashboardUrl,
    alertsIdle: () => composed.alertsIdle(),
    async stop() {
      await composed.stop();
      await database.close();
      logger.info("guard stopped");
    },
  };
}
