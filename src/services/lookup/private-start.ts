/**
 * Starts the private lookup (LJS-4 v2) inside the lookup service: derives the keyring from
 * the seed, builds every known client's listed sets before the API listens, and returns
 * the service the v2 routes call and the sets the list swap rebuilds.
 */
import type { LookupConfig } from "../../config/schema.js";
import type { ListHolder } from "../../list/list-holder.js";
import type { RunInBackground } from "../../observability/background.js";
import type { Logger } from "../../observability/logger.js";
import { createOprf } from "../../private-lookup/oprf.js";
import type { ClientRegistry } from "./client-registry.js";
import type { LookupService } from "./lookup-service.js";
import { PrivateLookupService } from "./private-lookup.js";
import { parseKeySeed, PrivateKeyring } from "./private-keys.js";
import { PrivateSets } from "./private-sets.js";

/** The private lookup's object graph. */
export interface PrivateLookup {
  readonly service: PrivateLookupService;
  readonly sets: PrivateSets;
}

/** What the private lookup shares with the v1 lookup. */
export interface PrivateLookupParts {
  readonly lookup: LookupService;
  readonly list: ListHolder;
  readonly clients: ClientRegistry;
  readonly logger: Logger;
  readonly runInBackground: RunInBackground;
  readonly now: () => number;
}

/** Builds the graph and the first sets; `seedText` is the key seed file's content. */
export async function startPrivateLookup(
  config: NonNullable<LookupConfig["private_lookup"]>,
  seedText: string,
  parts: PrivateLookupParts,
): Promise<PrivateLookup> {
  const oprf = await createOprf();
  const previous = config.previous_epoch;
  const keys = new PrivateKeyring(
    oprf,
    {
      seed: parseKeySeed(seedText),
      epoch: config.epoch,
      ...(previous === undefined
        ? {}
        : { previous: { epoch: previous.epoch, retiresAt: Date.parse(previous.retires_at) } }),
    },
    parts.now,
  );
  const sets = new PrivateSets({ oprf, keys, ...parts });
  if (parts.list.ready) await sets.buildAll(parts.clients.all());
  const service = new PrivateLookupService({
    lookup: parts.lookup,
    oprf,
    keys,
    sets,
    list: parts.list,
  });
  return { service, sets };
}
