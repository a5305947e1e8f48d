/**
 * The ledger of sweep actions in the guard's database (`sweep_actions`, migration
 * 002_sweeps.sql). Rooms and users are stored as keyed hashes, never in clear: the
 * database must not become a copy of the list.
 */
import { createHmac } from "node:crypto";
import type { SqlExecutor } from "../../../storage/sql-database.js";
import type { ActionKey, SweepLedger } from "./sweep-ports.js";

/** The ledger in SQL (SQLite or PostgreSQL). */
export class SqlSweepLedger implements SweepLedger {
  private readonly key: Buffer;

  /** `secret` is the guard's pseudonym secret; the ledger's key is derived from it. */
  constructor(
    private readonly db: SqlExecutor,
    secret: string,
  ) {
    this.key = createHmac("sha256", secret).update("redlight sweep ledger v1").digest();
  }

  async state(key: ActionKey): Promise<"started" | "done" | undefined> {
    const rows = await this.db.all<{ state: string }>(
      "SELECT state FROM sweep_actions WHERE room_key = ? AND user_key = ? AND action = ?",
      this.params(key),
    );
    const state = rows[0]?.state;
    return state === "started" || state === "done" ? state : undefined;
  }

  async begin(key: ActionKey, now: number): Promise<void> {
    await this.db.run(
      "INSERT INTO sweep_actions (room_key, user_key, action, state, attempts, updated_at) VALUES (?, ?, ?, 'started', 1, ?) ON CONFLICT (room_key, user_key, action) DO UPDATE SET state = 'started', attempts = sweep_actions.attempts + 1, updated_at = excluded.updated_at",
      [...this.params(key), now],
    );
  }

  async finish(key: ActionKey, now: number): Promise<void> {
    await this.db.run(
      "UPDATE sweep_actions SET state = 'done', updated_at = ? WHERE room_key = ? AND user_key = ? AND action = ?",
      [now, ...this.params(key)],
    );
  }

  private params(key: ActionKey): [string, string, string] {
    const mac = (kind: string, id: string) =>
      createHmac("sha256", this.key).update(`${kind}\n${id}`).digest("hex");
    return [mac("room", key.room), key.user === undefined ? "" : mac("user", key.user), key.action];
  }
}
