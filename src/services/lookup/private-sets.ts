/**
 * The listed sets of the private lookup, one per client and key: the first 8 bytes of
 * y = F(k, x) for every room of the list that the client's effective tags match, with an
 * index from 32 bytes of y back to the room's LJS-4 hash (for reports; provider only).
 *
 * Sets are built off the request path: for every client ahead of the first request, and
 * again in the background whenever the list swaps or a client's tags change. Until a
 * rebuild is done the previous set keeps being served (its ETag then changes). A rebuild
 * under the same key evaluates only the rooms its previous set did not hold — y depends on
 * the key and the room alone — so a list change of a few rooms costs a few evaluations,
 * not one per listed room. The build yields to the event loop every few hundred
 * evaluations (and every few thousand rooms reused), so lookups keep flowing.
 */
import type { Ljs4Hash } from "../../core/ids.js";
import type { SourceList } from "../../core/source-list.js";
import { ListedSetBuilder, type ListedSet } from "../../private-lookup/listed-set.js";
import type { OprfKey, RistrettoOprf } from "../../private-lookup/oprf.js";
import type { ListHolder } from "../../list/list-holder.js";
import type { RunInBackground } from "../../observability/background.js";
import type { Logger } from "../../observability/logger.js";
import type { ActiveClient, ClientRegistry } from "./client-registry.js";
import type { PrivateKeyring } from "./private-keys.js";

/** A built set and what it was built from. */
export interface BuiltSet {
  readonly set: ListedSet;
  /** base64url of y[0..32) → the listed room's hash. */
  readonly byOutput: ReadonlyMap<string, Ljs4Hash>;
  readonly list: SourceList;
  readonly tags: string;
}

/** Evaluations between two yields to the event loop. */
const YIELD_EVERY = 256;
/** Rooms visited (reused or skipped) between two yields. */
const YIELD_EVERY_VISITED = 8192;

const tagsKey = (client: ActiveClient) => [...client.effectiveTags].sort().join("\n");
const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The sets of every client and key, kept current with the list. */
export class PrivateSets {
  private readonly built = new Map<string, BuiltSet>();
  private readonly building = new Map<string, Promise<void>>();
  /** The clients whose sets are kept, by name. */
  private readonly known = new Map<string, ActiveClient>();

  constructor(
    private readonly deps: {
      readonly oprf: Pick<RistrettoOprf, "evaluate">;
      readonly keys: Pick<PrivateKeyring, "keysFor">;
      readonly list: Pick<ListHolder, "list">;
      readonly clients: Pick<ClientRegistry, "all">;
      readonly logger: Logger;
      readonly runInBackground: RunInBackground;
    },
  ) {}

  /**
   * The set to serve for `client` under `key`: the current one, or the previous one while
   * a rebuild runs (started here if needed); undefined until a first one is built.
   */
  setFor(client: ActiveClient, key: OprfKey): BuiltSet | undefined {
    this.known.set(client.name, client);
    const id = `${client.name}\n${key.keyId}`;
    const built = this.built.get(id);
    if (
      built === undefined ||
      built.list !== this.deps.list.list ||
      built.tags !== tagsKey(client)
    ) {
      this.startBuild(client, key);
    }
    return built;
  }

  /** Builds every served key's set for these clients now (start-up). */
  async buildAll(clients: readonly ActiveClient[]): Promise<void> {
    for (const client of clients) {
      this.known.set(client.name, client);
      for (const { key } of this.deps.keys.keysFor(client.name)) await this.build(client, key);
    }
  }

  /**
   * The list swapped: rebuild, in the background, the sets of every client seen that is
   * still registered (with its current tags); forget the sets of the others.
   */
  listSwapped(): void {
    const active = new Map(this.deps.clients.all().map((c) => [c.name, c]));
    for (const name of [...this.known.keys()]) {
      const client = active.get(name);
      if (client === undefined) {
        this.known.delete(name);
        for (const id of [...this.built.keys()]) {
          if (id.startsWith(`${name}\n`)) this.built.delete(id);
        }
        continue;
      }
      this.known.set(name, client);
      for (const { key } of this.deps.keys.keysFor(name)) this.startBuild(client, key);
    }
  }

  private startBuild(client: ActiveClient, key: OprfKey): void {
    const id = `${client.name}\n${key.keyId}`;
    if (this.building.has(id)) return;
    this.deps.runInBackground("private lookup set build", () => this.build(client, key));
  }

  private build(client: ActiveClient, key: OprfKey): Promise<void> {
    const id = `${client.name}\n${key.keyId}`;
    const running = this.building.get(id);
    if (running !== undefined) return running;
    const task = this.evaluateAll(client, key, this.built.get(id))
      .then(({ built, evaluated }) => {
        this.built.set(id, built);
        this.deps.logger.info(
          { client: client.name, key_id: key.keyId, entries: built.set.size, evaluated },
          "private lookup set built",
        );
      })
      .finally(() => this.building.delete(id));
    this.building.set(id, task);
    return task;
  }

  /**
   * y for every room the client's tags match — taken from `previous` (the last set under
   * this key) for rooms it held, evaluated for the others; nothing but the set and its
   * index is kept. Answers how many rooms were evaluated.
   */
  private async evaluateAll(
    client: ActiveClient,
    key: OprfKey,
    previous: BuiltSet | undefined,
  ): Promise<{ built: BuiltSet; evaluated: number }> {
    const list = this.deps.list.list;
    const tags = tagsKey(client);
    const builder = new ListedSetBuilder(key.keyId, Math.max(16, list.size));
    const byOutput = new Map<string, Ljs4Hash>();
    const known = new Map<Ljs4Hash, string>();
    for (const [output, hash] of previous?.byOutput ?? []) known.set(hash, output);
    let evaluated = 0;
    let visited = 0;
    for (const entry of list.entries()) {
      if (++visited % YIELD_EVERY_VISITED === 0) await yieldNow();
      const hex = (
        typeof entry.hash === "string" ? entry.hash : entry.hash.toString("hex")
      ) as Ljs4Hash;
      if (list.match(hex, client.effectiveTags) === undefined) continue;
      const reused = known.get(hex);
      if (reused !== undefined) {
        builder.add(Buffer.from(reused, "base64url"));
        byOutput.set(reused, hex);
        continue;
      }
      const output = this.deps.oprf.evaluate(key, Buffer.from(hex, "hex"));
      builder.add(output);
      byOutput.set(Buffer.from(output.subarray(0, 32)).toString("base64url"), hex);
      if (++evaluated % YIELD_EVERY === 0) await yieldNow();
    }
    return { built: { set: builder.build(), byOutput, list, tags }, evaluated };
  }
}
