/**
 * Accounts the guard knows to be frozen, by pseudonym. A known frozen account is refused
 * without asking anything: no cache entry, fail mode or outage can let it pass. Only an
 * unfreeze through the guard, or the lookup service answering something other than
 * "frozen" when the account is asked about again (every `frozen_recheck`, to notice an
 * unfreeze made at the provider), clears it. Held in memory: after a restart the guard
 * learns freezes again from the lookup service's 403 answers (docs/guard.md, limitations).
 */
import type { Ljs4Hash } from "../../../core/ids.js";

/** What the guard knows about one pseudonym. */
export type FrozenState = "not_frozen" | "frozen" | "frozen_recheck_due";

const MAX_TRACKED = 100_000;

/** Known frozen pseudonyms with the time each was last confirmed. */
export class FrozenAccounts {
  private readonly confirmedAt = new Map<Ljs4Hash, number>();

  constructor(private readonly recheckMs: number) {}

  state(user: Ljs4Hash, now: number): FrozenState {
    const at = this.confirmedAt.get(user);
    if (at === undefined) return "not_frozen";
    return now - at >= this.recheckMs ? "frozen_recheck_due" : "frozen";
  }

  /** Records (or re-confirms) a freeze; answers whether it was new to the guard. */
  markFrozen(user: Ljs4Hash, now: number): boolean {
    const known = this.confirmedAt.has(user);
    this.confirmedAt.set(user, now);
    // Freezes are rare; the bound only stops a flood of remote pseudonyms from growing it.
    if (this.confirmedAt.size > MAX_TRACKED) {
      const oldest = this.confirmedAt.keys().next();
      if (oldest.done !== true) this.confirmedAt.delete(oldest.value);
    }
    return !known;
  }

  /** Forgets a freeze (after an unfreeze); answers whether one was known. */
  clear(user: Ljs4Hash): boolean {
    return this.confirmedAt.delete(user);
  }

  get size(): number {
    return this.confirmedAt.size;
  }
}
