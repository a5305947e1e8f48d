/**
 * Scenario 2's measuring child, one fresh process per list size (run with --expose-gc):
 *
 *   node --expose-gc --import tsx bench/list-scale-child.ts ROOMS REPS WORKDIR
 *
 * Heap per entry: (heapUsed + arrayBuffers) after building the SourceList minus before,
 * both after full collections, with the JSON text alive at both points, divided by entries.
 * Load time (wall and CPU): decodeRdlist + build from the JSON text; the production path of
 * an encrypted file source (read, decrypt, decode, build); and JSON text giving the rooms as
 * LJS-4 hashes instead of room ids. Prints one JSON line.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRdlist } from "../src/core/rdlist.js";
import type { SourceList } from "../src/core/source-list.js";
import { generateListKey, parseListKey } from "../src/list/encryption.js";
import { listSource } from "../src/list/sources.js";
import { encryptedSyntheticList, syntheticList } from "./synthetic.js";

const [rooms, reps] = [Number(process.argv[2]), Number(process.argv[3])];
const workDir = process.argv[4];
const gc = (globalThis as { gc?: () => void }).gc;
if (!Number.isInteger(rooms) || !Number.isInteger(reps) || !workDir || !gc) {
  throw new Error("usage: node --expose-gc … list-scale-child.ts ROOMS REPS WORKDIR");
}

const inUse = async () => {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * Heap in use after full collections, read until it settles: the backing store of a large
 * freed Buffer is released some time after the collection that found it dead.
 */
const heap = async () => {
  let last = await inUse();
  for (let i = 0; i < 20; i++) {
    const now = await inUse();
    if (Math.abs(now - last) < 64 * 1024) return now;
    last = now;
  }
  return last;
};

function buildFromText(text: string): SourceList {
  const decoded = decodeRdlist(text);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value.builder.build();
}

/** Wall and CPU milliseconds of `reps` runs of `load` (medians), each after a full collection. */
async function timeLoads(load: () => unknown): Promise<{ wallMs: number; cpuMs: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    await heap();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await load();
    wall.push(performance.now() - started);
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wallMs: round(median(wall)), cpuMs: round(median(cpu)) };
}

const round = (v: number) => Math.round(v * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

const text = syntheticList(rooms).toString("utf8");

// First load: memory, and the cold time a service sees at start-up.
const before = await heap();
const coldCpu = process.cpuUsage();
const started = performance.now();
let list: SourceList | undefined = buildFromText(text);
const coldMs = performance.now() - started;
const coldCpuUsed = process.cpuUsage(coldCpu);
const after = await heap();
const entries = list.size;
const compactBytes = list.byteSize();
list = undefined;

// Warm loads from the text (a reload in a running service); a single run (--quick) reuses the
// first load rather than spend the time again.
const fromText =
  reps > 1
    ? await timeLoads(() => buildFromText(text))
    : { wallMs: round(coldMs), cpuMs: round((coldCpuUsed.user + coldCpuUsed.system) / 1000) };

// The encrypted file path, as the service loads `sources: [{file, encryption_key_file}]`.
const keyText = generateListKey();
const key = parseListKey(keyText);
if (!key.ok) throw new Error(key.error);
writeFileSync(join(workDir, "list.key"), keyText);
writeFileSync(join(workDir, "list.json.enc"), encryptedSyntheticList(rooms, key.value));
const source = listSource(
  {
    file: join(workDir, "list.json.enc"),
    encryption_key_file: join(workDir, "list.key"),
    refresh: "1h",
  },
  3_600_000,
);
const fromEncryptedFile = await timeLoads(async () => {
  const outcome = await source.fetch();
  if (!outcome.ok || outcome.value.kind !== "loaded") throw new Error("encrypted load failed");
});

// The same rooms given as LJS-4 hashes (`room_id_hash`): no SHA-256 left to do at load.
// Full runs only (building the text costs as much as loading it).
let fromHashes: { wallMs: number; cpuMs: number } | undefined;
if (reps > 1) {
  const hashed = syntheticList(rooms, true).toString("utf8");
  fromHashes = await timeLoads(() => buildFromText(hashed));
}

process.stdout.write(
  `${JSON.stringify({
    rooms,
    entries,
    textBytes: text.length,
    heapBytesPerEntry: round((after - before) / entries),
    compactBytesPerEntry: round(compactBytes / entries),
    coldLoadMs: round(coldMs),
    fromText,
    fromEncryptedFile,
    fromHashes,
    reps,
  })}\n`,
);
