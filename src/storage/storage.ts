/**
 * The storage role: everything the lookup service keeps across restarts and shares between
 * processes. Implemented by SqliteStorage and PostgresStorage; one contract test suite
 * (storage.contract.ts) runs against both so they cannot drift.
 */
import type { FreezeRule } from "../core/freeze.js";
import type { QuotaDelta } from "../core/rate-limit.js";

/** A whitelisted client homeserver. */
export interface ClientRecord {
  readonly name: string;
  /** SHA-256 hex of the token; the token itself is never stored. */
  readonly tokenHash: string;
  /** The client's own filtering level (a subset of the server's tags), or null for all. */
  readonly tags: readonly string[] | null;
  /** Allowed source CIDRs; empty means any address. */
  readonly allowIps: readonly string[];
  /** Extra grants, e.g. "directory" for the batch check. */
  readonly scopes: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly revokedAt: number | null;
}

/** A new client to add. */
export type NewClient = Omit<ClientRecord, "createdAt" | "updatedAt" | "revokedAt">;

/** One lookup that matched a listed room. */
export interface Hit {
  readonly client: string;
  readonly userPseudonym: string;
  readonly reportId: string;
  readonly at: number;
}

/** What recording a hit did. */
export interface HitOutcome {
  readonly counted: boolean;
  readonly hitsInWindow: number;
  /** The pseudonym was frozen by this hit. */
  readonly frozeNow: boolean;
}

/** An active freeze. */
export interface FreezeRecord {
  readonly client: string;
  readonly userPseudonym: string;
  readonly frozenAt: number;
  readonly hits: number;
}

/** A shared quota count. */
export interface QuotaCount {
  readonly key: string;
  readonly windowStart: number;
  readonly count: number;
}

/**
 * One batch check (the `directory` scope): who asked, how many hashes, how many listed.
 * Counts only: the hashes themselves never reach the database (the list is secret).
 */
export interface BatchCheck {
  readonly client: string;
  readonly at: number;
  readonly hashes: number;
  readonly listed: number;
  /**
   * When this batch made the client's checks look like enumeration: why, and the window's
   * counts (docs/abuse-controls.md, "Enumeration signal"). Audited as its own event.
   */
  readonly suspected?: {
    readonly reasons: readonly string[];
    readonly window: Readonly<Record<string, number>>;
  };
}

/** An audit trail entry (never holds tokens, room ids or list hashes). */
export interface AuditEvent {
  readonly at: number;
  readonly kind:
    | "client_added"
    | "client_revoked"
    | "client_rotated"
    | "hit"
    | "freeze"
    | "unfreeze"
    | "check"
    | "enumeration_suspected"
    | "report_received"
    | "report_decided";
  readonly client: string | null;
  readonly subject: string | null;
  readonly detail: Record<string, unknown> | null;
}

/** Where a reported room stands in the provider's review queue. */
export type ReviewState = "pending" | "accepted" | "rejected";

/**
 * A room a client reported up (`POST report`). The room id and the reason are sealed with
 * the list key by the caller: storage never sees them in clear.
 */
export interface ReviewReport {
  readonly ref: string;
  readonly client: string;
  /** Base64 of the room id sealed in the encrypted list format. */
  readonly sealedRoom: string;
  /** Base64 of the reporter's reason sealed the same way. */
  readonly sealedReason: string;
  /** Tags the reporter suggested. */
  readonly tags: readonly string[];
  readonly state: ReviewState;
  /** The tags of the list entry, once accepted. */
  readonly acceptedTags: readonly string[] | null;
  readonly createdAt: number;
  readonly decidedAt: number | null;
}

/** A report entering the queue (always pending). */
export type NewReviewReport = Pick<
  ReviewReport,
  "ref" | "client" | "sealedRoom" | "sealedReason" | "tags" | "createdAt"
>;

/** Persistent state of the lookup service. All methods may reject on database faults. */
export interface Storage {
  addClient(client: NewClient, now: number): Promise<"added" | "exists">;
  /** Every client, revoked ones included (callers filter). */
  listClients(): Promise<ClientRecord[]>;
  revokeClient(name: string, now: number): Promise<boolean>;
  rotateToken(name: string, tokenHash: string, now: number): Promise<boolean>;

  /** Records a hit and applies the freeze rule atomically (across processes too). */
  recordHit(hit: Hit, rule: FreezeRule): Promise<HitOutcome>;
  /** Audits a batch check (and, when it carries one, the enumeration suspicion). */
  recordCheck(check: BatchCheck): Promise<void>;
  listFreezes(client?: string): Promise<FreezeRecord[]>;
  isFrozen(client: string, userPseudonym: string): Promise<boolean>;
  /** Lifts a freeze and forgets the hits that led to it. */
  unfreeze(client: string, userPseudonym: string, actor: string, now: number): Promise<boolean>;

  /** Adds quota deltas and answers the shared totals of the same (key, window) pairs. */
  addQuotaCounts(deltas: readonly QuotaDelta[]): Promise<Map<string, number>>;

  /**
   * Shared counts of keys starting with `keyPrefix`, in windows starting at or after
   * `sinceWindowStart`, that reached `minCount`: the keys near their limit, which every
   * process must know about even before it sees them itself.
   */
  busyQuotaCounts(
    keyPrefix: string,
    minCount: number,
    sinceWindowStart: number,
  ): Promise<QuotaCount[]>;

  /** Queues a reported room (pending). */
  addReviewReport(report: NewReviewReport): Promise<void>;
  getReviewReport(ref: string): Promise<ReviewReport | undefined>;
  /** Reports in the order they came, optionally of one state only. */
  listReviewReports(state?: ReviewState): Promise<ReviewReport[]>;
  /** Accepts (with the entry's tags) or rejects a pending report; false when not pending. */
  decideReviewReport(
    ref: string,
    decision: "accepted" | "rejected",
    tags: readonly string[] | null,
    now: number,
  ): Promise<boolean>;

  listAudit(limit: number): Promise<AuditEvent[]>;
  /** Deletes audit records and hits older than `cutoff`, and quota counts older than `quotaCutoff`. */
  prune(cutoff: number, quotaCutoff: number): Promise<number>;

  /** Fails when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The key of a (quota key, window) pair in addQuotaCounts' answer. */
export function quotaTotalKey(key: string, windowStart: number): string {
  return `${windowStart}:${key}`;
}
