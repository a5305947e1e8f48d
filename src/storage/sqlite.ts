/**
 * Storage on an embedded SQLite file (the default). WAL journal: readers never block the
 * writer, and a killed process loses no committed transaction. Writes that must be atomic
 * across processes sharing the file use BEGIN IMMEDIATE.
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { assessHit, type FreezeRule, type PriorHit } from "../core/freeze.js";
import type { QuotaDelta } from "../core/rate-limit.js";
import { migrate, type Migration, type MigrationTarget } from "./migrations.js";
import { createPrivateFile } from "./private-files.js";
import {
  quotaTotalKey,
  type AuditEvent,
  type BatchCheck,
  type ClientRecord,
  type FreezeRecord,
  type Hit,
  type HitOutcome,
  type NewClient,
  type NewReviewReport,
  type QuotaCount,
  type ReviewReport,
  type ReviewState,
  type Storage,
} from "./storage.js";
import {
  REVIEW_INSERT,
  reviewAddedEvent,
  reviewDecidedEvent,
  reviewFromRow,
  reviewInsertParams,
  type ReviewRow,
} from "./review-rows.js";
import { checkAuditEvents, clientFromRow, type ClientRow } from "./rows.js";
import { startCheckpointer, type Checkpointer } from "./sqlite-checkpointer.js";

/**
 * How long a statement waits for another connection's lock. Short, because better-sqlite3
 * waits synchronously: the whole process (every request) stands still meanwhile. With
 * 5 s, a connection holding the file locked stopped the service for good.
 */
const BUSY_TIMEOUT_MS = 100;
/** After a write found the database locked, writes fail at once for this long. */
const BUSY_BACKOFF_MS = 1000;
/**
 * With checkpoints in the background, the connection checkpoints by itself only when the
 * WAL holds this many pages (40 MiB): a backstop should the background worker fail.
 */
const BACKSTOP_CHECKPOINT_PAGES = 10_000;

/** Options of {@link SqliteStorage.open}. */
export interface SqliteOptions {
  /** Checkpoint the WAL in a worker thread (long-running services; not for the CLI). */
  readonly checkpointInBackground?: boolean;
}

const isBusy = (e: unknown) => /^SQLITE_(BUSY|LOCKED)/.test((e as { code?: string }).code ?? "");

/** Storage in one SQLite database file (or `:memory:`). */
export class SqliteStorage implements Storage {
  private lockedUntil = 0;
  /**
   * Statements compiled once and reused: preparing costs tens of microseconds, and a hit
   * used to prepare three statements on the event loop every time.
   */
  private readonly statements = new Map<string, Database.Statement>();
  /** One transaction wrapper for every write (better-sqlite3 builds one per call otherwise). */
  private readonly transaction: Database.Transaction<<T>(fn: () => T) => T>;

  private checkpointer: Checkpointer | undefined;

  private constructor(private readonly db: Database.Database) {
    this.transaction = db.transaction(<T>(fn: () => T): T => fn());
  }

  /** Opens (creating if needed) and migrates the database at `path`. */
  static async open(path: string, options: SqliteOptions = {}): Promise<SqliteStorage> {
    // Owner-only, whatever the umask: SQLite gives the -wal and -shm files the database
    // file's mode, so a database created 0600 keeps its journals 0600 too.
    if (path !== ":memory:") createPrivateFile(path);
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const storage = new SqliteStorage(db);
    await migrate(storage.migrationTarget());
    if (options.checkpointInBackground && path !== ":memory:") {
      db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      storage.checkpointer = startCheckpointer(path);
    }
    return storage;
  }

  private migrationTarget(): MigrationTarget {
    const db = this.db;
    return {
      appliedVersions: async () => {
        db.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        );
        return db.prepare("SELECT version FROM schema_migrations").pluck().all() as number[];
      },
      apply: async (m: Migration, now: number) => {
        db.transaction(() => {
          db.exec(m.sql);
          db.prepare(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
          ).run(m.version, m.name, now);
        }).immediate();
      },
    };
  }

  async addClient(client: NewClient, now: number): Promise<"added" | "exists"> {
    return this.write(() => {
      const exists = this.stmt("SELECT 1 FROM clients WHERE name = ?").get(client.name);
      if (exists) return "exists" as const;
      this.stmt(
        "INSERT INTO clients (name, token_hash, tags, allow_ips, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(
        client.name,
        client.tokenHash,
        client.tags === null ? null : JSON.stringify(client.tags),
        JSON.stringify(client.allowIps),
        JSON.stringify(client.scopes),
        now,
        now,
      );
      this.audit({
        at: now,
        kind: "client_added",
        client: client.name,
        subject: null,
        detail: null,
      });
      return "added" as const;
    });
  }

  async listClients(): Promise<ClientRecord[]> {
    const rows = this.stmt("SELECT * FROM clients ORDER BY name").all() as ClientRow[];
    return rows.map(clientFromRow);
  }

  async revokeClient(name: string, now: number): Promise<boolean> {
    return this.write(() => {
      const changed = this.stmt(
        "UPDATE clients SET revoked_at = ?, updated_at = ? WHERE name = ? AND revoked_at IS NULL",
      ).run(now, now, name).changes;
      if (changed > 0)
        this.audit({
          at: now,
          kind: "client_revoked",
          client: name,
          subject: null,
          detail: null,
        });
      return changed > 0;
    });
  }

  async rotateToken(name: string, tokenHash: string, now: number): Promise<boolean> {
    return this.write(() => {
      const changed = this.stmt(
        "UPDATE clients SET token_hash = ?, updated_at = ? WHERE name = ? AND revoked_at IS NULL",
      ).run(tokenHash, now, name).changes;
      if (changed > 0)
        this.audit({
          at: now,
          kind: "client_rotated",
          client: name,
          subject: null,
          detail: null,
        });
      return changed > 0;
    });
  }

  async recordHit(hit: Hit, rule: FreezeRule): Promise<HitOutcome> {
    return this.write((): HitOutcome => {
      const prior = (
        this.stmt(
          "SELECT report_id AS reportId, at, counted FROM hits WHERE client = ? AND user_pseudonym = ? AND at > ?",
        ).all(
          hit.client,
          hit.userPseudonym,
          hit.at - Math.max(rule.windowMs, rule.repeatGraceMs),
        ) as {
          reportId: string;
          at: number;
          counted: number;
        }[]
      ).map((r): PriorHit => ({ reportId: r.reportId, at: r.at, counted: r.counted === 1 }));
      const assessment = assessHit(rule, prior, hit);
      this.stmt(
        "INSERT INTO hits (id, client, user_pseudonym, report_id, at, counted) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(
        randomUUID(),
        hit.client,
        hit.userPseudonym,
        hit.reportId,
        hit.at,
        assessment.counted ? 1 : 0,
      );
      this.audit({
        at: hit.at,
        kind: "hit",
        client: hit.client,
        subject: hit.userPseudonym,
        detail: { report_id: hit.reportId, counted: assessment.counted },
      });
      let frozeNow = false;
      if (assessment.freeze) {
        frozeNow =
          this.stmt(
            "INSERT INTO freezes (client, user_pseudonym, frozen_at, hits) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
          ).run(hit.client, hit.userPseudonym, hit.at, assessment.hitsInWindow).changes > 0;
        if (frozeNow) {
          this.audit({
            at: hit.at,
            kind: "freeze",
            client: hit.client,
            subject: hit.userPseudonym,
            detail: { hits: assessment.hitsInWindow },
          });
        }
      }
      return { counted: assessment.counted, hitsInWindow: assessment.hitsInWindow, frozeNow };
    });
  }

  async recordCheck(check: BatchCheck): Promise<void> {
    this.write(() => {
      for (const event of checkAuditEvents(check)) this.audit(event);
    });
  }

  async listFreezes(client?: string): Promise<FreezeRecord[]> {
    const sql =
      "SELECT client, user_pseudonym AS userPseudonym, frozen_at AS frozenAt, hits FROM freezes" +
      (client === undefined ? "" : " WHERE client = ?") +
      " ORDER BY frozen_at";
    const stmt = this.stmt(sql);
    return (client === undefined ? stmt.all() : stmt.all(client)) as FreezeRecord[];
  }

  async isFrozen(client: string, userPseudonym: string): Promise<boolean> {
    return (
      this.stmt("SELECT 1 FROM freezes WHERE client = ? AND user_pseudonym = ?").get(
        client,
        userPseudonym,
      ) !== undefined
    );
  }

  async unfreeze(
    client: string,
    userPseudonym: string,
    actor: string,
    now: number,
  ): Promise<boolean> {
    return this.write(() => {
      const changed = this.stmt("DELETE FROM freezes WHERE client = ? AND user_pseudonym = ?").run(
        client,
        userPseudonym,
      ).changes;
      // Forget the counted hits too, or the next single hit would freeze again at once.
      this.stmt("UPDATE hits SET counted = 0 WHERE client = ? AND user_pseudonym = ?").run(
        client,
        userPseudonym,
      );
      if (changed > 0) {
        this.audit({
          at: now,
          kind: "unfreeze",
          client,
          subject: userPseudonym,
          detail: { actor },
        });
      }
      return changed > 0;
    });
  }

  async addQuotaCounts(deltas: readonly QuotaDelta[]): Promise<Map<string, number>> {
    const upsert = this.stmt(
      "INSERT INTO quota_counts (quota_key, window_start, count) VALUES (?, ?, ?) ON CONFLICT (quota_key, window_start) DO UPDATE SET count = count + excluded.count RETURNING count",
    );
    return this.write(() => {
      const totals = new Map<string, number>();
      for (const d of deltas) {
        const row = upsert.get(d.key, d.windowStart, d.delta) as { count: number };
        totals.set(quotaTotalKey(d.key, d.windowStart), row.count);
      }
      return totals;
    });
  }

  async busyQuotaCounts(
    keyPrefix: string,
    minCount: number,
    sinceWindowStart: number,
  ): Promise<QuotaCount[]> {
    return this.stmt(
      "SELECT quota_key AS key, window_start AS windowStart, count FROM quota_counts WHERE window_start >= ? AND count >= ? AND substr(quota_key, 1, ?) = ?",
    ).all(sinceWindowStart, minCount, keyPrefix.length, keyPrefix) as QuotaCount[];
  }

  async addReviewReport(report: NewReviewReport): Promise<void> {
    this.write(() => {
      this.stmt(REVIEW_INSERT).run(...reviewInsertParams(report));
      this.audit(reviewAddedEvent(report));
    });
  }

  async getReviewReport(ref: string): Promise<ReviewReport | undefined> {
    const row = this.stmt("SELECT * FROM review_reports WHERE ref = ?").get(ref) as
      ReviewRow | undefined;
    return row === undefined ? undefined : reviewFromRow(row);
  }

  async listReviewReports(state?: ReviewState): Promise<ReviewReport[]> {
    const rows = (
      state === undefined
        ? this.stmt("SELECT * FROM review_reports ORDER BY created_at, ref").all()
        : this.stmt("SELECT * FROM review_reports WHERE state = ? ORDER BY created_at, ref").all(
            state,
          )
    ) as ReviewRow[];
    return rows.map(reviewFromRow);
  }

  async decideReviewReport(
    ref: string,
    decision: "accepted" | "rejected",
    tags: readonly string[] | null,
    now: number,
  ): Promise<boolean> {
    return this.write(() => {
      const row = this.stmt(
        "SELECT client FROM review_reports WHERE ref = ? AND state = 'pending'",
      ).get(ref) as { client: string } | undefined;
      if (row === undefined) return false;
      this.stmt(
        "UPDATE review_reports SET state = ?, accepted_tags = ?, decided_at = ? WHERE ref = ?",
      ).run(decision, tags === null ? null : JSON.stringify(tags), now, ref);
      this.audit(reviewDecidedEvent(ref, row.client, decision, tags, now));
      return true;
    });
  }

  async listAudit(limit: number): Promise<AuditEvent[]> {
    const rows = this.stmt(
      "SELECT at, kind, client, subject, detail FROM audit_events ORDER BY at DESC, id LIMIT ?",
    ).all(limit) as {
      at: number;
      kind: AuditEvent["kind"];
      client: string | null;
      subject: string | null;
      detail: string | null;
    }[];
    return rows.map((r) => ({
      ...r,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
    }));
  }

  async prune(cutoff: number, quotaCutoff: number): Promise<number> {
    return this.write(() => {
      let removed = this.stmt("DELETE FROM audit_events WHERE at < ?").run(cutoff).changes;
      removed += this.stmt("DELETE FROM hits WHERE at < ?").run(cutoff).changes;
      removed += this.stmt("DELETE FROM quota_counts WHERE window_start < ?").run(
        quotaCutoff,
      ).changes;
      return removed;
    });
  }

  async ping(): Promise<void> {
    this.stmt("SELECT 1").get();
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    this.db.close();
  }

  /**
   * Runs `fn` in a write transaction (BEGIN IMMEDIATE). While another connection is known
   * to hold the database locked, fails at once instead of blocking the process again.
   */
  private write<T>(fn: () => T): T {
    if (Date.now() < this.lockedUntil) {
      throw Object.assign(new Error("the database is locked by another connection"), {
        code: "SQLITE_BUSY",
      });
    }
    try {
      return this.transaction.immediate(fn) as T;
    } catch (e) {
      if (isBusy(e)) this.lockedUntil = Date.now() + BUSY_BACKOFF_MS;
      throw e;
    }
  }

  /** The prepared statement for `sql`, compiled on first use. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private audit(event: AuditEvent): void {
    this.stmt(
      "INSERT INTO audit_events (id, at, kind, client, subject, detail) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(
      randomUUID(),
      event.at,
      event.kind,
      event.client,
      event.subject,
      event.detail === null ? null : JSON.stringify(event.detail),
    );
  }
}
