/**
 * Does a client's use of the batch check look like enumeration of the list? Two signs,
 * judged per client over fixed windows (docs/abuse-controls.md, "Enumeration signal"):
 *
 * - **listed share**: among the hashes the client had not asked about lately ("new"), the
 *   share that is listed. A directory shows few listed rooms (well under 2 %); a client
 *   probing candidates it already suspects finds many. Repeating known-clean decoys does
 *   not dilute it, because repeats are not new.
 * - **new hashes**: how many different rooms the client asks about, which a directory
 *   (verdicts cached by the guard, the same rooms shown again and again) keeps small.
 *
 * "Lately" is the current window and the client's last window with batch checks (however
 * long ago: a directory idle overnight shows the same rooms in the morning), remembered in
 * two small Bloom filters per client: no hash is stored, memory is fixed, and a false
 * "seen" (rare below twice the `newHashes` threshold, which sizes the filters) only makes
 * the signal a little less eager. The filter positions are seeded with a per-process
 * random value: a caller never sees the filter and does not know the seed, so it cannot
 * craft hashes that fill the bits its later probes would use.
 * Pure: the caller passes the time.
 */
import { randomBytes } from "node:crypto";

/** The thresholds (config `lookup.check_enumeration`). */
export interface EnumerationThresholds {
  readonly windowMs: number;
  /** New hashes a window needs before its listed share is judged. */
  readonly minNewHashes: number;
  /** Listed share among new hashes above which the signal fires (0–1). */
  readonly listedShare: number;
  /** New hashes in one window at which the signal fires; also the filter's capacity. */
  readonly newHashes: number;
}

/** Why the signal fired. */
export type EnumerationReason = "listed_share" | "new_hashes";

/** One client's counts in the current window. */
export interface WindowCounts {
  readonly windowStart: number;
  readonly hashes: number;
  readonly listed: number;
  readonly newHashes: number;
  readonly newListed: number;
}

/** What {@link CheckEnumerationWatch.observe} saw: the window so far and newly fired signs. */
export interface Observation {
  readonly counts: WindowCounts;
  /** Signs that fired with this batch (each fires at most once per client and window). */
  readonly fired: readonly EnumerationReason[];
}

/** Bits per entry for about 1 % false positives with {@link PROBES} probes when full. */
const BITS_PER_ENTRY = 9.6;
const PROBES = 7;

/** A fixed-size set of hashes that may answer "seen" wrongly but never "not seen" wrongly. */
class SeenFilter {
  private readonly bits: Uint32Array;

  constructor(private readonly mask: number) {
    this.bits = new Uint32Array((mask + 1) / 32);
  }

  has(positions: Uint32Array): boolean {
    for (const p of positions) if ((this.bits[p >>> 5]! & (1 << (p & 31))) === 0) return false;
    return true;
  }

  add(positions: Uint32Array): void {
    for (const p of positions) this.bits[p >>> 5]! |= 1 << (p & 31);
  }
}

interface ClientWindow {
  counts: WindowCounts;
  current: SeenFilter;
  previous: SeenFilter | undefined;
  fired: Set<EnumerationReason>;
}

/** Per-client enumeration signs of batch checks, in bounded memory. */
export class CheckEnumerationWatch {
  private readonly clients = new Map<string, ClientWindow>();
  private readonly mask: number;
  private readonly seeds: readonly [number, number];
  private readonly scratch = new Uint32Array(PROBES);

  constructor(
    private readonly thresholds: EnumerationThresholds,
    seed: Buffer = randomBytes(8),
  ) {
    this.seeds = [seed.readUInt32LE(0), seed.readUInt32LE(4)];
    // Room for twice the threshold, so that a false "seen" stays rare (under 0.01 %) until
    // the count reaches it; a power of two of at least 32 bits, so a position is a masked
    // 32-bit word.
    const wanted = Math.max(32, Math.ceil(2 * thresholds.newHashes * BITS_PER_ENTRY));
    this.mask = 2 ** Math.ceil(Math.log2(wanted)) - 1;
  }

  /**
   * Records one batch: `hashes` asked (distinct), of which `listed` are listed. Returns the
   * window's counts and the signs that fired with it.
   */
  observe(
    client: string,
    now: number,
    hashes: readonly string[],
    listed: ReadonlySet<string>,
  ): Observation {
    const state = this.windowOf(client, now);
    let { hashes: total, listed: listedCount, newHashes, newListed } = state.counts;
    for (const hash of hashes) {
      const isListed = listed.has(hash);
      total++;
      if (isListed) listedCount++;
      const positions = this.positions(hash);
      if (state.current.has(positions)) continue;
      // Remembered in this window too, so the next one still knows it.
      state.current.add(positions);
      if (state.previous?.has(positions) === true) continue;
      newHashes++;
      if (isListed) newListed++;
    }
    state.counts = { ...state.counts, hashes: total, listed: listedCount, newHashes, newListed };
    const fired: EnumerationReason[] = [];
    const t = this.thresholds;
    const fire = (reason: EnumerationReason) => {
      if (state.fired.has(reason)) return;
      state.fired.add(reason);
      fired.push(reason);
    };
    if (newHashes >= t.minNewHashes && newListed / newHashes > t.listedShare) fire("listed_share");
    // The first window this process sees of a client has nothing to compare with: all of
    // it is new (a directory's first sweep), so only later windows are judged for it.
    if (state.previous !== undefined && newHashes >= t.newHashes) fire("new_hashes");
    return { counts: state.counts, fired };
  }

  /** The client's state for the window holding `now`, rolled over as needed. */
  private windowOf(client: string, now: number): ClientWindow {
    const { windowMs } = this.thresholds;
    const windowStart = now - (now % windowMs);
    const state = this.clients.get(client);
    if (state !== undefined && state.counts.windowStart === windowStart) return state;
    const fresh: ClientWindow = {
      counts: { windowStart, hashes: 0, listed: 0, newHashes: 0, newListed: 0 },
      current: new SeenFilter(this.mask),
      // The client's last window is remembered, the one before it forgotten.
      previous: state?.current,
      fired: new Set(),
    };
    this.clients.set(client, fresh);
    return fresh;
  }

  /**
   * The filter positions of `hash`: two seeded 32-bit hashes combined as h1 + i·h2
   * (Kirsch–Mitzenmacher double hashing). An HMAC per hash cost 5 µs, half a millisecond
   * per batch of 100; this costs under 1 µs.
   */
  private positions(hash: string): Uint32Array {
    const h1 = seededHash(hash, this.seeds[0]);
    // The second hash from the first (one pass over the text): two hashes then collide only
    // when the first does, one time in 2³², far below the filter's own false "seen".
    const h2 = finalise(h1 ^ this.seeds[1]) | 1;
    const out = this.scratch; // reused: read before the next call
    for (let i = 0; i < PROBES; i++) out[i] = (h1 + Math.imul(i, h2)) & this.mask;
    return out;
  }
}

/** FNV-1a from a secret offset, then MurmurHash3's finaliser to spread the bits. */
function seededHash(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return finalise(h);
}

/** MurmurHash3's 32-bit finaliser. */
function finalise(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
