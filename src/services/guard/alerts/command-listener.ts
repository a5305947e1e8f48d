/**
 * The alert bot reads the alert room with `/sync` (long-poll, filtered to that one room's
 * messages) and runs the commands moderators type there. History from before start-up is
 * skipped: only commands written while the guard runs are acted on, each once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { UserId } from "../../../core/ids.js";
import { jsonField, segment, type MatrixCall } from "../synapse/matrix-http.js";
import { COMMAND_USAGE, parseCommand, powerLevelOf, type ReportCommand } from "./commands.js";

/** Power level a member needs to command the guard (Matrix "moderator"). */
export const COMMAND_POWER_LEVEL = 50;

/** What the listener needs. */
export interface CommandListenerDeps {
  readonly call: MatrixCall;
  readonly roomId: string;
  /** Runs an unfreeze on behalf of `actor`; answers a reply, if one is needed. */
  readonly unfreeze: (user: UserId, actor: string) => Promise<string | undefined>;
  /** Runs a report command on behalf of `actor`; answers the reply (absent: reports off). */
  readonly reports?: (command: ReportCommand, actor: string) => Promise<string>;
  readonly reply: (text: string) => void;
  readonly log: (message: string, detail?: Record<string, unknown>) => void;
  readonly longPollMs?: number;
}

const SEEN_LIMIT = 1_000;

/** Runs alert-room commands. */
export class CommandListener {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly seen = new Set<string>();
  private botUserId: string | undefined;

  constructor(private readonly deps: CommandListenerDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let since: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      const ok = since === undefined ? await this.catchUp() : await this.poll(since);
      if (ok === undefined) {
        failures++;
        // Back off 1 s, 2 s, 4 s … up to 30 s while the homeserver is unreachable.
        await sleep(Math.min(30_000, 1_000 * 2 ** Math.min(failures - 1, 5)), undefined, {
          signal,
        }).catch(() => undefined);
        continue;
      }
      failures = 0;
      since = ok;
    }
  }

  /** Start-up: learn who we are and where the timeline ends now; skip older commands. */
  private async catchUp(): Promise<string | undefined> {
    const signal = this.stopping.signal;
    if (this.botUserId === undefined) {
      const whoami = await this.deps.call("GET", "/_matrix/client/v3/account/whoami", undefined, {
        signal,
      });
      const user = whoami.ok ? jsonField(whoami.value.body, "user_id") : undefined;
      if (typeof user !== "string") {
        this.deps.log("alert bot: whoami failed; retrying");
        return undefined;
      }
      this.botUserId = user;
    }
    await this.deps.call(
      "POST",
      `/_matrix/client/v3/join/${segment(this.deps.roomId)}`,
      {},
      { signal },
    );
    return this.sync(undefined, 0);
  }

  private async poll(since: string): Promise<string | undefined> {
    return this.sync(since, this.deps.longPollMs ?? 30_000);
  }

  private async sync(since: string | undefined, timeoutMs: number): Promise<string | undefined> {
    const filter = JSON.stringify({
      presence: { not_types: ["*"] },
      account_data: { not_types: ["*"] },
      room: {
        rooms: [this.deps.roomId],
        timeline: { types: ["m.room.message"], limit: 50 },
        state: { types: ["m.room.power_levels"] },
        ephemeral: { not_types: ["*"] },
        account_data: { not_types: ["*"] },
      },
    });
    const query = `filter=${segment(filter)}&timeout=${timeoutMs}${since === undefined ? "" : `&since=${segment(since)}`}`;
    const answer = await this.deps.call("GET", `/_matrix/client/v3/sync?${query}`, undefined, {
      timeoutMs: timeoutMs + 15_000,
      signal: this.stopping.signal,
    });
    if (!answer.ok || answer.value.status !== 200) return undefined;
    const next = jsonField(answer.value.body, "next_batch");
    if (typeof next !== "string") return undefined;
    if (since !== undefined) await this.handleTimeline(answer.value.body);
    return next;
  }

  private async handleTimeline(body: unknown): Promise<void> {
    const room = jsonField(jsonField(jsonField(body, "rooms"), "join"), this.deps.roomId);
    const events = jsonField(jsonField(room, "timeline"), "events");
    if (!Array.isArray(events)) return;
    for (const event of events) {
      const id = jsonField(event, "event_id");
      const sender = jsonField(event, "sender");
      const content = jsonField(event, "content");
      const text = jsonField(content, "body");
      if (typeof id !== "string" || typeof sender !== "string" || typeof text !== "string")
        continue;
      if (sender === this.botUserId || jsonField(content, "msgtype") !== "m.text") continue;
      if (this.seen.has(id)) continue;
      this.remember(id);
      await this.handle(sender, text);
    }
  }

  private async handle(sender: string, text: string): Promise<void> {
    const command = parseCommand(text);
    if (command === undefined) return;
    if (command.kind === "help") return this.deps.reply(COMMAND_USAGE);
    if (command.kind === "invalid")
      return this.deps.reply(`${sender}: ${command.problem}. ${COMMAND_USAGE}`);
    const level = await this.powerLevel(sender);
    if (level === undefined)
      return this.deps.reply(`${sender}: cannot read the room's power levels; try again.`);
    if (level < COMMAND_POWER_LEVEL) {
      this.deps.log("alert room command refused: power level too low", { sender, level });
      return this.deps.reply(
        `${sender}: only moderators (power level ${COMMAND_POWER_LEVEL} or more) may do this.`,
      );
    }
    if (command.kind !== "unfreeze") {
      const reports = this.deps.reports;
      return this.deps.reply(
        reports === undefined
          ? `${sender}: reports are not enabled on this guard (guard.reports).`
          : await reports(command, sender),
      );
    }
    const reply = await this.deps.unfreeze(command.user, sender);
    if (reply !== undefined) this.deps.reply(reply);
  }

  /** The sender's power level from the room's current state (asked each time: fresh). */
  private async powerLevel(sender: string): Promise<number | undefined> {
    const path = `/_matrix/client/v3/rooms/${segment(this.deps.roomId)}/state/m.room.power_levels/`;
    const answer = await this.deps.call("GET", path, undefined, { signal: this.stopping.signal });
    if (!answer.ok || answer.value.status !== 200) return undefined;
    return powerLevelOf(answer.value.body, sender);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
  }
}
