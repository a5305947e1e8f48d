/**
 * Additive blinds for one key, made ahead of time (docs/private-lookup.md, "Blinding"). A
 * blind costs two scalar multiplications that depend on the key alone, so the guard makes
 * them while it waits rather than while a join waits: one per turn of the event loop, so
 * requests that arrive meanwhile are answered between two of them. A join that finds the
 * pool empty makes its own; every blind is handed out once.
 */
import type { AdditiveBlind, RistrettoOprf } from "./oprf.js";

/** Blinds kept ready: a burst of this many joins finds each its blind made. */
const POOL_SIZE = 64;

/** Blinds for the key whose public element is `publicKey`. */
export class BlindingPool {
  private readonly ready: AdditiveBlind[] = [];
  private filling = false;
  private closed = false;

  constructor(
    private readonly oprf: RistrettoOprf,
    readonly publicKey: Uint8Array,
    private readonly size = POOL_SIZE,
  ) {
    this.fill();
  }

  /** Blinds ready now (for tests). */
  get available(): number {
    return this.ready.length;
  }

  /** A blind never handed out before: a ready one, or one made now. */
  take(): AdditiveBlind {
    const blind = this.ready.pop() ?? this.oprf.additiveBlind(this.publicKey);
    this.fill();
    return blind;
  }

  /** Stops making blinds (the key changed or the client closed) and drops the ready ones. */
  close(): void {
    this.closed = true;
    this.ready.length = 0;
  }

  private fill(): void {
    if (this.filling || this.closed || this.ready.length >= this.size) return;
    this.filling = true;
    setImmediate(() => {
      this.filling = false;
      if (this.closed) return;
      this.ready.push(this.oprf.additiveBlind(this.publicKey));
      this.fill();
    });
  }
}
