/** `redlight freezes …`: the provider's view of frozen user pseudonyms. */
import { ljs4Hash } from "../core/hash.js";
import { parseLjs4Hash } from "../core/ids.js";
import { CliError, say, withStorage } from "./context.js";

/** Lists active freezes. */
export async function listFreezes(options: { config?: string; client?: string }): Promise<void> {
  await withStorage(options.config, async (storage) => {
    const rows = await storage.listFreezes(options.client);
    for (const f of rows) {
      process.stdout.write(
        `${f.client}\t${f.userPseudonym}\t${new Date(f.frozenAt).toISOString()}\thits=${f.hits}\n`,
      );
    }
    if (rows.length === 0) say("no active freezes");
  });
}

/**
 * Lifts a freeze. The pseudonym is given as the 64-hex `user_id_hash` the client sent, or
 * as `--user-id` for clients that send the plain LJS-4 double hash.
 */
export async function unfreeze(
  pseudonym: string | undefined,
  options: { config?: string; client: string; userId?: string },
): Promise<void> {
  const input = options.userId !== undefined ? ljs4Hash(options.userId) : pseudonym;
  const parsed = parseLjs4Hash(input);
  if (!parsed.ok)
    throw new CliError(`give a user_id_hash (64 lowercase hex) or --user-id: ${parsed.error}`);
  await withStorage(options.config, async (storage) => {
    const lifted = await storage.unfreeze(options.client, parsed.value, "cli", Date.now());
    if (!lifted) throw new CliError(`no freeze of that pseudonym for client ${options.client}`);
    say(`unfrozen; running lookup services notice within one sync interval`);
  });
}
