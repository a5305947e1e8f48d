/**
 * Storage on PostgreSQL, for several lookup processes sharing freezes and quotas. The freeze
 * rule runs under a transaction-scoped advisory lock per (client, pseudonym), so two
 * processes recording hits for the same user cannot both miss the threshold.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { assessHit, type FreezeRule } from "../core/freeze.js";
import type { QuotaDelta } from "../core/rate-limit.js";
import { migrate, type MigrationTarget } from "./migrations.js";
import { checkAuditEvents, clientFromRow, type ClientRow } from "./rows.js";
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

type Queryable = pg.Pool | pg.PoolClient;

/**
 * Every write of a hit in one statement: the hit, its audit record and, when the freeze
 * rule says so ($9), the freeze and — only if it is new — its audit record.
 */
const RECORD_HIT_SQL = `
WITH hit AS (
  INSERT INTO hits (id, client, user_pseudonym, report_id, at, counted)
  VALUES ($1, $2::text, $3::text, $4, $5::bigint, $6)
), hit_audit AS (
  INSERT INTO audit_events (id, at, kind, client, subject, detail)
  VALUES ($7, $5::bigint, 'hit', $2::text, $3::text, $8)
), frozen AS (
  INSERT INTO freezes (client, user_pseudonym, frozen_at, hits)
  SELECT $2::text, $3::text, $5::bigint, $10::int WHERE $9::boolean
  ON CONFLICT DO NOTHING
  RETURNING 1
), freeze_audit AS (
  INSERT INTO audit_events (id, at, kind, client, subject, detail)
  SELECT $11, $5::bigint, 'freeze', $2::text, $3::text, $12 FROM frozen
)
SELECT count(*)::int AS froze FROM frozen`;
const MIGRATION_LOCK = 7_273_001; // arbitrary, constant: serialises concurrent migrators

/** Storage in a PostgreSQL database. */
export class PostgresStorage implements Storage {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and migrates. */
  static async open(url: string): Promise<PostgresStorage> {
    const pool = new pg.Pool({
      connectionString: url,
      max: 8,
      connectionTimeoutMillis: 5000,
      // A session holding our tables locked must not hang lookups: a hit waits at most a
      // second for a lock, then is answered without being recorded (and counted).
      lock_timeout: 1000,
      statement_timeout: 5000,
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on("error", () => undefined);
    const storage = new PostgresStorage(pool);
    await storage.inTransaction(async (c) => {
      // Concurrent migrators wait for each other however long a migration takes.
      await c.query("SET LOCAL lock_timeout = 0");
      await c.query("SET LOCAL statement_timeout = 0");
      await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await migrate(PostgresStorage.migrationTarget(c));
    });
    return storage;
  }

  private static migrationTarget(c: pg.PoolClient): MigrationTarget {
    return {
      appliedVersions: async () => {
        await c.query(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        );
        const r = await c.query<{ version: number }>("SELECT version FROM schema_migrations");
        return r.rows.map((row) => row.version);
      },
      apply: async (m, now) => {
        // Already inside the migrator's transaction: all migrations commit together.
        await c.query(m.sql);
        await c.query(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
          [m.version, m.name, now],
        );
      },
    };
  }

  async addClient(client: NewClient, now: number): Promise<"added" | "exists"> {
    return this.inTransaction(async (c) => {
      const r = await c.query(
        `INSERT INTO clients (name, token_hash, tags, allow_ips, scopes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (name) DO NOTHING`,
        [
          client.name,
          client.tokenHash,
          client.tags === null ? null : JSON.stringify(client.tags),
          JSON.stringify(client.allowIps),
          JSON.stringify(client.scopes),
          now,
        ],
      );
      if (r.rowCount === 0) return "exists";
      await this.audit(c, {
        at: now,
        kind: "client_added",
        client: client.name,
        subject: null,
        detail: null,
      });
      return "added";
    });
  }

  async listClients(): Promise<ClientRecord[]> {
    const r = await this.pool.query<ClientRow>("SELECT * FROM clients ORDER BY name");
    return r.rows.map(clientFromRow);
  }

  async revokeClient(name: string, now: number): Promise<boolean> {
    return this.inTransaction(async (c) => {
      const r = await c.query(
        "UPDATE clients SET revoked_at = $1, updated_at = $1 WHERE name = $2 AND revoked_at IS NULL",
        [now, name],
      );
      if (r.rowCount === 0) return false;
      await this.audit(c, {
        at: now,
        kind: "client_revoked",
        client: name,
        subject: null,
        detail: null,
      });
      return true;
    });
  }

  async rotateToken(name: string, tokenHash: string, now: number): Promise<boolean> {
    return this.inTransaction(async (c) => {
      const r = await c.query(
        "UPDATE clients SET token_hash = $1, updated_at = $2 WHERE name = $3 AND revoked_at IS NULL",
        [tokenHash, now, name],
      );
      if (r.rowCount === 0) return false;
      await this.audit(c, {
        at: now,
        kind: "client_rotated",
        client: name,
        subject: null,
        detail: null,
      });
      return true;
    });
  }

  /**
   * Three round trips instead of six to eight: (1) BEGIN, the advisory lock and the read of
   * earlier hits as one simple-protocol query; the freeze rule in JS (core/freeze.ts, the one
   * definition SQLite uses too); (2) every write as one statement; (3) COMMIT.
   *
   * The lock must be taken by a statement of its own before the read: in READ COMMITTED a
   * statement reads the snapshot taken when it starts, so a lock taken inside the reading
   * statement would not make it see hits committed while it waited. A multi-statement
   * query cannot carry parameters, so round trip 1 holds the client name and pseudonym as
   * literals quoted by the driver (pg's escapeLiteral); list content (the report id) only
   * ever travels as a bound parameter.
   */
  async recordHit(hit: Hit, rule: FreezeRule): Promise<HitOutcome> {
    const since = hit.at - Math.max(rule.windowMs, rule.repeatGraceMs);
    if (!Number.isSafeInteger(since)) throw new Error("hit time out of range");
    const c = await this.pool.connect();
    try {
      const client = c.escapeLiteral(hit.client);
      const user = c.escapeLiteral(hit.userPseudonym);
      const lockKey = c.escapeLiteral(`${hit.client}\n${hit.userPseudonym}`); // as before: same lock
      const results = (await c.query(
        `BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(${lockKey}, 0)); ` +
          `SELECT report_id, at, counted FROM hits ` +
          `WHERE client = ${client} AND user_pseudonym = ${user} AND at > ${since}`,
      )) as unknown as pg.QueryResult<{ report_id: string; at: string; counted: number }>[];
      const prior = results.at(-1)?.rows ?? []; // the answers of BEGIN and the lock come first
      const assessment = assessHit(
        rule,
        prior.map((r) => ({ reportId: r.report_id, at: Number(r.at), counted: r.counted === 1 })),
        hit,
      );
      const written = await c.query<{ froze: number }>(RECORD_HIT_SQL, [
        randomUUID(),
        hit.client,
        hit.userPseudonym,
        hit.reportId,
        hit.at,
        assessment.counted ? 1 : 0,
        randomUUID(),
        JSON.stringify({ report_id: hit.reportId, counted: assessment.counted }),
        assessment.freeze,
        assessment.hitsInWindow,
        randomUUID(),
        JSON.stringify({ hits: assessment.hitsInWindow }),
      ]);
      await c.query("COMMIT");
      const frozeNow = (written.rows[0]?.froze ?? 0) > 0;
      return { counted: assessment.counted, hitsInWindow: assessment.hitsInWindow, frozeNow };
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  /** One statement, one round trip: a single multi-row INSERT is atomic by itself. */
  async recordCheck(check: BatchCheck): Promise<void> {
    const events = checkAuditEvents(check);
    const params: unknown[] = [];
    const rows = events.map((event) => {
      const n = params.push(
        randomUUID(),
        event.at,
        event.kind,
        event.client,
        event.subject,
        event.detail === null ? null : JSON.stringify(event.detail),
      );
      return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
    });
    await this.pool.query(
      `INSERT INTO audit_events (id, at, kind, client, subject, detail) VALUES ${rows.join(", ")}`,
      params,
    );
  }

  async listFreezes(client?: string): Promise<FreezeRecord[]> {
    const r = await this.pool.query<{
      client: string;
      user_pseudonym: string;
      frozen_at: string;
      hits: number;
    }>(
      "SELECT client, user_pseudonym, frozen_at, hits FROM freezes" +
        (client === undefined ? "" : " WHERE client = $1") +
        " ORDER BY frozen_at",
      client === undefined ? [] : [client],
    );
    return r.rows.map((row) => ({
      client: row.client,
      userPseudonym: row.user_pseudonym,
      frozenAt: Number(row.frozen_at),
      hits: row.hits,
    }));
  }

  async isFrozen(client: string, userPseudonym: string): Promise<boolean> {
    const r = await this.pool.query(
      "SELECT 1 FROM freezes WHERE client = $1 AND user_pseudonym = $2",
      [client, userPseudonym],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async unfreeze(
    client: string,
    userPseudonym: string,
    actor: string,
    now: number,
  ): Promise<boolean> {
    return this.inTransaction(async (c) => {
      const r = await c.query("DELETE FROM freezes WHERE client = $1 AND user_pseudonym = $2", [
        client,
        userPseudonym,
      ]);
      await c.query("UPDATE hits SET counted = 0 WHERE client = $1 AND user_pseudonym = $2", [
        client,
        userPseudonym,
      ]);
      if ((r.rowCount ?? 0) === 0) return false;
      await this.audit(c, {
        at: now,
        kind: "unfreeze",
        client,
        subject: userPseudonym,
        detail: { actor },
      });
      return true;
    });
  }

  async addQuotaCounts(deltas: readonly QuotaDelta[]): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    if (deltas.length === 0) return totals;
    // One round trip for the whole batch.
    const r = await this.pool.query<{ quota_key: string; window_start: string; count: string }>(
      `INSERT INTO quota_counts (quota_key, window_start, count)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
       ON CONFLICT (quota_key, window_start) DO UPDATE SET count = quota_counts.count + excluded.count
       RETURNING quota_key, window_start, count`,
      [deltas.map((d) => d.key), deltas.map((d) => d.windowStart), deltas.map((d) => d.delta)],
    );
    for (const row of r.rows)
      totals.set(quotaTotalKey(row.quota_key, Number(row.window_start)), Number(row.count));
    return totals;
  }

  async busyQuotaCounts(
    keyPrefix: string,
    minCount: number,
    sinceWindowStart: number,
  ): Promise<QuotaCount[]> {
    const r = await this.pool.query<{ quota_key: string; window_start: string; count: string }>(
      "SELECT quota_key, window_start, count FROM quota_counts WHERE window_start >= $1 AND count >= $2 AND left(quota_key, $3) = $4",
      [sinceWindowStart, minCount, keyPrefix.length, keyPrefix],
    );
    return r.rows.map((row) => ({
      key: row.quota_key,
      windowStart: Number(row.window_start),
      count: Number(row.count),
    }));
  }

  async addReviewReport(report: NewReviewReport): Promise<void> {
    await this.inTransaction(async (c) => {
      await c.query(numbered(REVIEW_INSERT), reviewInsertParams(report));
      await this.audit(c, reviewAddedEvent(report));
    });
  }

  async getReviewReport(ref: string): Promise<ReviewReport | undefined> {
    const r = await this.pool.query<ReviewRow>("SELECT * FROM review_reports WHERE ref = $1", [
      ref,
    ]);
    const row = r.rows[0];
    return row === undefined ? undefined : reviewFromRow(row);
  }

  async listReviewReports(state?: ReviewState): Promise<ReviewReport[]> {
    const r =
      state === undefined
        ? await this.pool.query<ReviewRow>("SELECT * FROM review_reports ORDER BY created_at, ref")
        : await this.pool.query<ReviewRow>(
            "SELECT * FROM review_reports WHERE state = $1 ORDER BY created_at, ref",
            [state],
          );
    return r.rows.map(reviewFromRow);
  }

  async decideReviewReport(
    ref: string,
    decision: "accepted" | "rejected",
    tags: readonly string[] | null,
    now: number,
  ): Promise<boolean> {
    return this.inTransaction(async (c) => {
      const r = await c.query<{ client: string }>(
        "UPDATE review_reports SET state = $1, accepted_tags = $2, decided_at = $3 WHERE ref = $4 AND state = 'pending' RETURNING client",
        [decision, tags === null ? null : JSON.stringify(tags), now, ref],
      );
      const row = r.rows[0];
      if (row === undefined) return false;
      await this.audit(c, reviewDecidedEvent(ref, row.client, decision, tags, now));
      return true;
    });
  }

  async listAudit(limit: number): Promise<AuditEvent[]> {
    const r = await this.pool.query<{
      at: string;
      kind: AuditEvent["kind"];
      client: string | null;
      subject: string | null;
      detail: string | null;
    }>("SELECT at, kind, client, subject, detail FROM audit_events ORDER BY at DESC, id LIMIT $1", [
      limit,
    ]);
    return r.rows.map((row) => ({
      ...row,
      at: Number(row.at),
      detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    }));
  }

  async prune(cutoff: number, quotaCutoff: number): Promise<number> {
    return this.inTransaction(async (c) => {
      let removed =
        (await c.query("DELETE FROM audit_events WHERE at < $1", [cutoff])).rowCount ?? 0;
      removed += (await c.query("DELETE FROM hits WHERE at < $1", [cutoff])).rowCount ?? 0;
      removed +=
        (await c.query("DELETE FROM quota_counts WHERE window_start < $1", [quotaCutoff]))
          .rowCount ?? 0;
      return removed;
    });
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async inTransaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      const result = await fn(c);
      await c.query("COMMIT");
      return result;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async audit(c: Queryable, event: AuditEvent): Promise<void> {
    await c.query(
      "INSERT INTO audit_events (id, at, kind, client, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)",
      [
        randomUUID(),
        event.at,
        event.kind,
        event.client,
        event.subject,
        event.detail === null ? null : JSON.stringify(event.detail),
      ],
    );
  }
}

/** `?` placeholders → `$1, $2, …`. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
