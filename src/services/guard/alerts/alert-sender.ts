/**
 * Posts alerts into the alert room through the client-server API with the alert bot's
 * token, as `m.notice` with plain and HTML bodies. Decisions never wait for this: `post`
 * only queues. One worker sends in order; a failed send is retried with exponential
 * backoff under the *same* transaction id, so a retry after a lost answer cannot post the
 * message twice (client-server API, "Transaction identifiers"). Every outcome is counted.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { jsonField, segment, type MatrixCall } from "../synapse/matrix-http.js";
import type { AlertText } from "./alert-text.js";

/** Where alerts go; `post` never throws and never blocks. */
export interface AlertSink {
  post(kind: string, text: AlertText): void;
}

/** Outcomes counted by the sender. */
export type AlertOutcome = "sent" | "retried" | "failed" | "dropped";

/** Settings and hooks of {@link MatrixAlertSender}. */
export interface AlertSenderOptions {
  readonly call: MatrixCall;
  readonly roomId: string;
  readonly onOutcome?: (kind: string, outcome: AlertOutcome, reason?: string) => void;
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly maxQueue?: number;
}

interface Pending {
  readonly kind: string;
  readonly txnId: string;
  readonly content: Record<string, unknown>;
  attempts: number;
}

/** The alert room as an AlertSink. */
export class MatrixAlertSender implements AlertSink {
  private readonly queue: Pending[] = [];
  private readonly bootId = randomBytes(6).toString("hex");
  private seq = 0;
  private worker: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: AlertSenderOptions) {}

  post(kind: string, text: AlertText): void {
    if (this.stopping.signal.aborted) return;
    if (this.queue.length >= (this.options.maxQueue ?? 500)) {
      this.options.onOutcome?.(kind, "dropped", "queue full");
      return;
    }
    this.queue.push({
      kind,
      txnId: `redlight-${this.bootId}-${++this.seq}`,
      content: {
        msgtype: "m.notice",
        body: text.plain,
        format: "org.matrix.custom.html",
        formatted_body: text.html,
        "m.mentions": {}, // an alert names users; it must not ping them
      },
      attempts: 0,
    });
    this.worker ??= this.drain().finally(() => (this.worker = undefined));
  }

  /** Resolves when every queued alert is sent or given up (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.worker !== undefined) await this.worker;
  }

  /** Stops retrying; waits up to `graceMs` for the queue to empty first. */
  async stop(graceMs = 2_000): Promise<void> {
    await Promise.race([this.idle(), sleep(graceMs, undefined, { ref: false })]);
    this.stopping.abort();
    await this.worker?.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    const { maxAttempts = 8, baseDelayMs = 1_000, maxDelayMs = 60_000 } = this.options;
    for (let item = this.queue[0]; item !== undefined; item = this.queue[0]) {
      if (this.stopping.signal.aborted) return;
      const result = await this.send(item);
      if (result.done) {
        this.queue.shift();
        this.options.onOutcome?.(item.kind, result.ok ? "sent" : "failed", result.reason);
        continue;
      }
      item.attempts++;
      if (item.attempts >= maxAttempts) {
        this.queue.shift();
        this.options.onOutcome?.(item.kind, "failed", result.reason);
        continue;
      }
      this.options.onOutcome?.(item.kind, "retried", result.reason);
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (item.attempts - 1));
      try {
        await sleep(Math.max(backoff, result.retryAfterMs ?? 0), undefined, {
          signal: this.stopping.signal,
        });
      } catch {
        return; // stopped
      }
    }
  }

  private async joinRoom(): Promise<void> {
    await joinAlertRoom(this.options.call, this.options.roomId, this.stopping.signal);
  }

  private async send(
    item: Pending,
  ): Promise<{ done: boolean; ok?: boolean; reason?: string; retryAfterMs?: number }> {
    const path = `/_matrix/client/v3/rooms/${segment(this.options.roomId)}/send/m.room.message/${segment(item.txnId)}`;
    const answer = await this.options.call("PUT", path, item.content, {
      timeoutMs: 10_000,
      signal: this.stopping.signal,
    });
    if (!answer.ok) return { done: false, reason: answer.error };
    const { status, body } = answer.value;
    if (status === 200) return { done: true, ok: true };
    const errcode = jsonField(body, "errcode");
    const reason = `HTTP ${status}${typeof errcode === "string" ? ` ${errcode}` : ""}`;
    // Not (yet) in the room: the bot joins itself once it has been invited, then retries.
    if (status === 403 && errcode === "M_FORBIDDEN") await this.joinRoom();
    // A malformed or oversized message will never be accepted; anything else may pass later
    // (the bot not yet in the room, a restart, rate limits).
    if (status === 400 || status === 413) return { done: true, ok: false, reason };
    const retryAfter = jsonField(body, "retry_after_ms");
    return {
      done: false,
      reason,
      ...(typeof retryAfter === "number" ? { retryAfterMs: retryAfter } : {}),
    };
  }
}

/** Joins the alert room (the operator invites the bot); answers whether it is in it. */
export async function joinAlertRoom(
  call: MatrixCall,
  roomId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const answer = await call(
    "POST",
    `/_matrix/client/v3/join/${segment(roomId)}`,
    {},
    signal === undefined ? {} : { signal },
  );
  return answer.ok && answer.value.status === 200;
}

/** An AlertSink that only logs (no alert room configured). */
export class LogOnlyAlertSink implements AlertSink {
  constructor(private readonly log: (kind: string, text: string) => void) {}
  post(kind: string, text: AlertText): void {
    this.log(kind, text.plain);
  }
}
