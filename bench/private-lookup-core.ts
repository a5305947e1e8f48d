/**
 * Cost of the private lookup's core (docs/private-lookup.md), one process, one core:
 *   - provider CPU per BlindEvaluate (goal ≤ 0.5 ms), against a SHA-256 of the same input
 *     measured in the same run as the baseline;
 *   - guard CPU per join: RFC 9497's multiplicative Blind + Finalize (the baseline) against
 *     the additive blind the guard uses, with the part made ahead of time measured apart;
 *   - provider CPU per full Evaluate (building the set costs one per listed room);
 *   - building the listed set from 1,000,000 outputs (goal ≤ 5 s), its size, `has` and
 *     decoding it from bytes;
 *   - the provider's set for a list of `--rebuild-rooms` rooms (20,000): built from scratch,
 *     then rebuilt after one room left and one joined (only the new room is evaluated).
 * Inputs are LJS-4 hashes of synthetic room ids.
 *
 *   npx tsx bench/private-lookup-core.ts [--ops 2000] [--entries 1000000]
 */
import { hash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { ljs4Hash } from "../src/core/hash.js";
import { ListedSet, ListedSetBuilder } from "../src/private-lookup/listed-set.js";
import { createOprf, oprfInputFromLjs4Hash } from "../src/private-lookup/oprf.js";
import { SourceListBuilder, type SourceList } from "../src/core/source-list.js";
import { createLogger } from "../src/observability/logger.js";
import type { ActiveClient } from "../src/services/lookup/client-registry.js";
import { PrivateKeyring } from "../src/services/lookup/private-keys.js";
import { PrivateSets } from "../src/services/lookup/private-sets.js";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "2000" },
    entries: { type: "string", default: "1000000" },
    "rebuild-rooms": { type: "string", default: "20000" },
  },
});
const OPS = Number(values.ops);
const ENTRIES = Number(values.entries);
const REBUILD_ROOMS = Number(values["rebuild-rooms"]);

/** Milliseconds of wall time (one thread, so CPU) per call of `fn` over `count` calls. */
function perCall(count: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(200, count); i++) fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e6 / count;
}

const oprf = await createOprf();
const key = oprf.generateKey("bench");
const inputs = Array.from({ length: OPS }, (_, i) =>
  oprfInputFromLjs4Hash(ljs4Hash(`!synthetic-${i}:example.org`)),
);
const blinded = inputs.map((input) => oprf.blind(input));
const evaluated = blinded.map((b) => {
  const result = oprf.blindEvaluate(key, b.blindedElement);
  if (!result.ok) throw new Error(result.error);
  return result.value;
});

const baseline = perCall(OPS, (i) => hash("sha256", inputs[i % OPS]!, "buffer"));
const blindEvaluate = perCall(OPS, (i) => oprf.blindEvaluate(key, blinded[i]!.blindedElement));
const clientBlind = perCall(OPS, (i) => oprf.blind(inputs[i]!));
const clientFinalize = perCall(OPS, (i) =>
  oprf.finalize(inputs[i]!, blinded[i]!.blind, evaluated[i]!),
);
const fullEvaluate = perCall(OPS, (i) => oprf.evaluate(key, inputs[i]!));
const publicKey = oprf.publicKey(key);
const additiveBlinds = inputs.map(() => oprf.additiveBlind(publicKey));
const additiveEvaluated = inputs.map((input, i) => {
  const result = oprf.blindEvaluate(key, oprf.blindAdditively(input, additiveBlinds[i]!));
  if (!result.ok) throw new Error(result.error);
  return result.value;
});
const aheadOfTime = perCall(OPS, () => oprf.additiveBlind(publicKey));
const additiveBlind = perCall(OPS, (i) => oprf.blindAdditively(inputs[i]!, additiveBlinds[i]!));
const additiveFinalize = perCall(OPS, (i) =>
  oprf.finalizeAdditively(inputs[i]!, additiveBlinds[i]!, additiveEvaluated[i]!),
);

// The set: random 64-byte outputs stand in for F(k, x) (evaluating a million would take
// minutes; its cost per entry is `fullEvaluate` above).
const outputs = randomBytes(ENTRIES * 64);
const buildStart = process.hrtime.bigint();
const builder = new ListedSetBuilder("bench", ENTRIES);
for (let i = 0; i < ENTRIES; i++) builder.add(outputs.subarray(i * 64, i * 64 + 64));
const set = builder.build();
const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
const serialiseStart = process.hrtime.bigint();
const bytes = set.toBytes();
const etag = set.etag();
const serialiseMs = Number(process.hrtime.bigint() - serialiseStart) / 1e6;
const decodeStart = process.hrtime.bigint();
const decoded = ListedSet.fromBytes(bytes);
const decodeMs = Number(process.hrtime.bigint() - decodeStart) / 1e6;
if (!decoded.ok || decoded.value.etag() !== etag) throw new Error("round trip failed");
const probes = Array.from({ length: 100_000 }, () => randomBytes(8));
const hasUs = perCall(probes.length, (i) => set.has(probes[i]!)) * 1000;

// The provider's set for one client: from scratch, then after a one-room change.
const listOf = (first: number, last: number): SourceList => {
  const list = new SourceListBuilder();
  for (let n = first; n <= last; n++) {
    list.add({ hash: ljs4Hash(`!synthetic-${n}:example.org`), reportId: `r-${n}`, tags: ["t"] });
  }
  return list.build();
};
const client: ActiveClient = {
  name: "bench",
  effectiveTags: new Set(["t"]),
  scopes: new Set(),
  allowsAddress: () => true,
};
const holder = { list: listOf(1, REBUILD_ROOMS) };
const keyring = new PrivateKeyring(oprf, { seed: randomBytes(32), epoch: "e1" }, Date.now);
const sets = new PrivateSets({
  oprf,
  keys: keyring,
  list: holder,
  clients: { all: () => [client] },
  logger: createLogger("silent", "bench"),
  runInBackground: (_name, fn) => void fn(),
});
const scratchStart = process.hrtime.bigint();
await sets.buildAll([client]);
const scratchMs = Number(process.hrtime.bigint() - scratchStart) / 1e6;
holder.list = listOf(2, REBUILD_ROOMS + 1);
const rebuildStart = process.hrtime.bigint();
await sets.buildAll([client]);
const rebuildMs = Number(process.hrtime.bigint() - rebuildStart) / 1e6;
if (sets.setFor(client, keyring.keysFor("bench")[0]!.key)?.list !== holder.list) {
  throw new Error("the rebuild did not take the new list");
}

const ratio = (ms: number): string => `${(ms / baseline).toFixed(0)}× SHA-256`;
console.log(
  JSON.stringify(
    {
      ops: OPS,
      sha256_baseline_ms: +baseline.toFixed(5),
      provider_blind_evaluate_ms: +blindEvaluate.toFixed(4),
      provider_blind_evaluate_vs_baseline: ratio(blindEvaluate),
      provider_blind_evaluate_per_core_per_s: Math.round(1000 / blindEvaluate),
      client_blind_ms: +clientBlind.toFixed(4),
      client_finalize_ms: +clientFinalize.toFixed(4),
      client_blind_plus_finalize_ms: +(clientBlind + clientFinalize).toFixed(4),
      guard_additive_per_join_ms: +(additiveBlind + additiveFinalize).toFixed(4),
      guard_additive_per_join_vs_multiplicative: `${(
        (additiveBlind + additiveFinalize) /
        (clientBlind + clientFinalize)
      ).toFixed(2)}×`,
      guard_additive_made_ahead_ms: +aheadOfTime.toFixed(4),
      provider_full_evaluate_ms: +fullEvaluate.toFixed(4),
      provider_evaluate_all_entries_s: +((fullEvaluate * ENTRIES) / 1000).toFixed(1),
      set_entries: set.size,
      set_build_ms: Math.round(buildMs),
      set_bytes: bytes.length,
      set_serialise_and_etag_ms: Math.round(serialiseMs),
      set_decode_ms: Math.round(decodeMs),
      set_has_us: +hasUs.toFixed(3),
      provider_set_rooms: REBUILD_ROOMS,
      provider_set_from_scratch_ms: Math.round(scratchMs),
      provider_set_rebuild_after_one_room_changed_ms: Math.round(rebuildMs),
      provider_set_rebuild_vs_scratch: `${(rebuildMs / scratchMs).toFixed(3)}×`,
    },
    null,
    2,
  ),
);
