/**
 * `kill -9` in the middle of freeze writes, many times over: a real lookup
 * process under concurrent load that freezes pseudonyms, killed with SIGKILL at a random
 * moment, restarted on the same database, again and again. Every pseudonym whose
 * `200 {"frozen": true}` answer reached the client must be frozen afterwards.
 */
import { ljs4Hash } from "../../src/core/hash.js";
import { listedRoom } from "./lookup-fixture.js";
import { spawnLookup } from "./lookup-process.js";

/** Options of {@link runCrashCycles}. */
export interface CrashOptions {
  readonly dir: string;
  readonly token: string;
  readonly cycles: number;
  /** Concurrent clients driving freezes. */
  readonly workers?: number;
  /** Load before the kill: a random time in [min, max] ms. */
  readonly loadMs?: readonly [number, number];
}

/** What the cycles did. */
export interface CrashFigures {
  readonly cycles: number;
  readonly lookups: number;
  /** Pseudonym hashes whose freeze the client saw confirmed (`"frozen": true`). */
  readonly confirmed: ReadonlySet<string>;
  /** Lookups cut off by the kill (no answer). */
  readonly cutOff: number;
}

/** Drives freezes until `stop()`; each pseudonym gets three hits on three listed rooms. */
function worker(
  apiUrl: string,
  token: string,
  name: string,
  confirmed: Set<string>,
  counts: { lookups: number; cutOff: number },
  stopped: () => boolean,
): Promise<void> {
  const lookup = (room: string, userHash: string) =>
    fetch(`${apiUrl}/_matrix/loj/v1/abuse_lookup`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ room_id_hash: ljs4Hash(room), user_id_hash: userHash }),
      signal: AbortSignal.timeout(5_000),
    });
  return (async () => {
    for (let n = 0; !stopped(); n++) {
      const userHash = ljs4Hash(`@${name}-${n}:example.org`);
      for (const room of [1, 2, 3]) {
        let body: { frozen?: boolean };
        try {
          const r = await lookup(listedRoom(room + (n % 7)), userHash);
          counts.lookups++;
          body = r.status === 200 ? ((await r.json()) as { frozen?: boolean }) : {};
        } catch {
          counts.cutOff++;
          return; // the process is gone
        }
        if (body.frozen === true) confirmed.add(userHash);
      }
    }
  })();
}

/** Runs the cycles; the caller checks the database afterwards. */
export async function runCrashCycles(options: CrashOptions): Promise<CrashFigures> {
  const confirmed = new Set<string>();
  const counts = { lookups: 0, cutOff: 0 };
  const [min, max] = options.loadMs ?? [100, 400];
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const lookup = await spawnLookup(options.dir, "lookup.log");
    let stop = false;
    const workers = Array.from({ length: options.workers ?? 6 }, (_, w) =>
      worker(lookup.apiUrl, options.token, `crash-c${cycle}-w${w}`, confirmed, counts, () => stop),
    );
    await new Promise((r) => setTimeout(r, min + Math.random() * (max - min)));
    lookup.child.kill("SIGKILL");
    await lookup.exited;
    stop = true;
    await Promise.all(workers);
  }
  return { cycles: options.cycles, lookups: counts.lookups, confirmed, cutOff: counts.cutOff };
}
