/**
 * Synthetic inputs of the benchmarks: lists of `!synthetic-N:example.org` rooms (the shape
 * `npm run demo` serves) and lookup request pools. Never a real room id; the randomness is
 * seeded so every run sends the same mix.
 */
import { createHash } from "node:crypto";
import { ljs4Hash } from "../src/core/hash.js";
import { encryptList } from "../src/list/encryption.js";

/** Share of lookups that hit a listed room: "mostly misses, some hits". */
export const HIT_SHARE = 0.02;
/** Distinct user pseudonyms in a lookup pool. */
export const PSEUDONYMS = 20_000;
/** Request bodies in a pool (sent round-robin; a 30 s run cycles it a few times). */
export const POOL_SIZE = 50_000;

/** Whether synthetic room `n` carries the `csam` tag (the demo tags every tenth `spam`). */
const filteredRoom = (n: number) => n % 10 !== 0;

/** A small deterministic PRNG (mulberry32): the same pool in every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The synthetic room id number `n` (never a real room). */
export function syntheticRoomId(n: number): string {
  return `!synthetic-${String(n).padStart(4, "0")}:example.org`;
}

/**
 * An rdlist document of `rooms` synthetic rooms, as the demo writes it: every tenth room
 * tagged only "spam", the rest "csam"; `hashed` gives each room as `room_id_hash`.
 */
export function syntheticList(rooms: number, hashed = false): Buffer {
  const reports = Array.from({ length: rooms }, (_, i) => ({
    report_id: `demo-report-${i + 1}`,
    room: hashed
      ? { room_id_hash: ljs4Hash(syntheticRoomId(i + 1)) }
      : { room_id: syntheticRoomId(i + 1) },
    report_info: { tags: filteredRoom(i + 1) ? ["csam"] : ["spam"] },
  }));
  return Buffer.from(JSON.stringify(reports));
}

/** An rdlist document of `rooms` synthetic rooms, encrypted at rest as a provider keeps it. */
export function encryptedSyntheticList(rooms: number, key: Buffer): Buffer {
  return encryptList(syntheticList(rooms), key);
}

/**
 * LJS-4 abuse_lookup bodies for a list of `rooms` rooms: {@link HIT_SHARE} of them name a
 * listed room with a filtered tag (answer 200), the rest a room that is not listed (204);
 * user pseudonyms are drawn from {@link PSEUDONYMS} opaque 64-hex values, as a guard's
 * keyed pseudonyms look to the server.
 */
export function lookupBodies(rooms: number, size = POOL_SIZE, seed = 1): Buffer[] {
  const random = seededRandom(seed);
  const users = Array.from({ length: PSEUDONYMS }, (_, i) =>
    createHash("sha256").update(`bench-user-${i}`).digest("hex"),
  );
  const bodies: Buffer[] = [];
  for (let i = 0; i < size; i++) {
    let room: string;
    if (random() < HIT_SHARE) {
      let n = 1 + Math.floor(random() * rooms);
      if (!filteredRoom(n)) n = n > 1 ? n - 1 : 1;
      room = syntheticRoomId(n);
    } else {
      room = `!unlisted-${Math.floor(random() * 1e9)}:example.org`;
    }
    const user = users[Math.floor(random() * users.length)] as string;
    bodies.push(Buffer.from(JSON.stringify({ room_id_hash: ljs4Hash(room), user_id_hash: user })));
  }
  return bodies;
}

/**
 * Batch check bodies as a directory sends them: 100 room hashes each, {@link HIT_SHARE} of
 * them listed rooms with a filtered tag, the rest rooms that are not listed.
 */
export function checkBodies(rooms: number, size = 500, seed = 2): Buffer[] {
  const random = seededRandom(seed);
  const bodies: Buffer[] = [];
  for (let i = 0; i < size; i++) {
    const hashes = Array.from({ length: 100 }, (_, j) => {
      if (j >= 100 * HIT_SHARE) return ljs4Hash(`!unlisted-${i}-${j}:example.org`);
      let n = 1 + Math.floor(random() * rooms);
      if (!filteredRoom(n)) n = n > 1 ? n - 1 : 1;
      return ljs4Hash(syntheticRoomId(n));
    });
    bodies.push(Buffer.from(JSON.stringify({ room_id_hashes: hashes })));
  }
  return bodies;
}
