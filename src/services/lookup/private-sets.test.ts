import { Writable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../../core/hash.js";
import { SourceList, SourceListBuilder } from "../../core/source-list.js";
import { createLogger } from "../../observability/logger.js";
import {
  createOprf,
  oprfInputFromLjs4Hash,
  type RistrettoOprf,
} from "../../private-lookup/oprf.js";
import type { ActiveClient } from "./client-registry.js";
import { PrivateKeyring } from "./private-keys.js";
import { PrivateSets, type BuiltSet } from "./private-sets.js";

const roomHash = (n: number) => ljs4Hash(`!synthetic-${String(n).padStart(4, "0")}:example.org`);

/** A list of these synthetic rooms, all tagged `quokkaberry`. */
function listOf(rooms: readonly number[]): SourceList {
  const builder = new SourceListBuilder();
  for (const n of rooms)
    builder.add({ hash: roomHash(n), reportId: `r-${n}`, tags: ["quokkaberry"] });
  return builder.build();
}

const client: ActiveClient = {
  name: "hs1",
  effectiveTags: new Set(["quokkaberry"]),
  scopes: new Set(),
  allowsAddress: () => true,
};

let oprf: RistrettoOprf;
beforeAll(async () => {
  oprf = await createOprf();
});

/** The sets over a list the test swaps, counting every evaluation. */
function setsOver(first: SourceList) {
  const holder = { list: first };
  const keys = new PrivateKeyring(oprf, { seed: Buffer.alloc(32, 7), epoch: "e1" }, Date.now);
  const counted = { evaluations: 0 };
  const sets = new PrivateSets({
    oprf: {
      evaluate: (key, input) => {
        counted.evaluations++;
        return oprf.evaluate(key, input);
      },
    },
    keys,
    list: holder,
    clients: { all: () => [client] },
    logger: createLogger("silent", "test", new Writable({ write: (_c, _e, done) => done() })),
    runInBackground: (_name, fn) => void fn(),
  });
  const key = keys.keysFor(client.name)[0]!.key;
  /** The set for the list the holder has now, once built. */
  const current = async (): Promise<BuiltSet> => {
    for (;;) {
      const built = sets.setFor(client, key);
      if (built !== undefined && built.list === holder.list) return built;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { holder, key, sets, counted, current };
}

describe("PrivateSets", () => {
  it("a rebuild after a list change evaluates only the rooms new to the set", async () => {
    const before = Array.from({ length: 300 }, (_, i) => i + 1);
    const { holder, key, sets, counted, current } = setsOver(listOf(before));
    await sets.buildAll([client]);
    expect(counted.evaluations).toBe(300);

    // Room 1 leaves, rooms 301 and 302 join.
    const after = [...before.slice(1), 301, 302];
    holder.list = listOf(after);
    sets.listSwapped();
    const rebuilt = await current();
    expect(counted.evaluations).toBe(302);

    const y = (n: number) => oprf.evaluate(key, oprfInputFromLjs4Hash(roomHash(n)));
    expect(rebuilt.set.size).toBe(301);
    expect(rebuilt.set.has(y(301))).toBe(true);
    expect(rebuilt.set.has(y(150))).toBe(true);
    expect(rebuilt.set.has(y(1))).toBe(false);
    expect(rebuilt.byOutput.get(Buffer.from(y(302).subarray(0, 32)).toString("base64url"))).toBe(
      roomHash(302),
    );
    expect([...rebuilt.byOutput.values()]).not.toContain(roomHash(1));

    // The same set, byte for byte, as one built from scratch.
    const scratch = setsOver(holder.list);
    await scratch.sets.buildAll([client]);
    expect((await scratch.current()).set.etag()).toBe(rebuilt.set.etag());
    expect(scratch.counted.evaluations).toBe(301);
  });
});
