/**
 * Active freezes in memory, so a lookup need not ask the database. The database stays the
 * truth: the cache is replaced from it every sync interval (freezes made by other processes
 * arrive then), and local changes made while a snapshot was being read are re-applied on
 * top, so a fresh freeze is never dropped by a stale snapshot.
 */

const key = (client: string, user: string) => `${client}\n${user}`;

/** The set of frozen (client, pseudonym) pairs. */
export class FreezeCache {
  private frozen = new Set<string>();
  private readonly localChanges = new Map<string, { frozen: boolean; at: number }>();

  constructor(private readonly now: () => number) {}

  has(client: string, user: string): boolean {
    return this.frozen.has(key(client, user));
  }

  add(client: string, user: string): void {
    this.change(key(client, user), true);
  }

  remove(client: string, user: string): void {
    this.change(key(client, user), false);
  }

  get size(): number {
    return this.frozen.size;
  }

  /** Replaces the set from a database snapshot whose read started at `snapshotStartedAt`. */
  replace(
    records: readonly { client: string; userPseudonym: string }[],
    snapshotStartedAt: number,
  ): void {
    const next = new Set(records.map((r) => key(r.client, r.userPseudonym)));
    for (const [k, change] of this.localChanges) {
      if (change.at < snapshotStartedAt) {
        this.localChanges.delete(k); // the snapshot already reflects it
        continue;
      }
      if (change.frozen) next.add(k);
      else next.delete(k);
    }
    this.frozen = next;
  }

  private change(k: string, frozen: boolean): void {
    if (frozen) this.frozen.add(k);
    else this.frozen.delete(k);
    this.localChanges.set(k, { frozen, at: this.now() });
  }
}
