/**
 * Synapse's admin APIs for reports and rooms (Synapse admin API docs: "Event Reports",
 * "User Reports", "Block Room"). Synapse pages reports by offset (`from`) ordered by
 * `received_ts`; the poller reads newest first and stops at the last id it has seen, so a
 * report deleted meanwhile cannot shift a report past it.
 */
import { err, ok, type Result } from "../../../core/result.js";
import { describeFailure, jsonField, segment, type MatrixCall } from "../synapse/matrix-http.js";

/** One report as the admin API lists it (the fields the guard uses). */
export interface SynapseReport {
  readonly id: number;
  readonly receivedTs: number;
  readonly reporter: string;
  readonly reason: string;
  /** Event reports: the event's room, id and sender. */
  readonly roomId?: string;
  readonly eventId?: string;
  readonly sender?: string;
  /** User reports: the reported user. */
  readonly targetUser?: string;
}

/** Which list. */
export type SynapseReportKind = "event" | "user";

const PATHS = {
  event: { path: "/_synapse/admin/v1/event_reports", field: "event_reports" },
  user: { path: "/_synapse/admin/v1/user_reports", field: "user_reports" },
} as const;

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

function decode(kind: SynapseReportKind, raw: unknown): SynapseReport | undefined {
  const id = jsonField(raw, "id");
  const ts = jsonField(raw, "received_ts");
  const reporter = str(jsonField(raw, "user_id"));
  if (typeof id !== "number" || typeof ts !== "number" || reporter === undefined) return undefined;
  const base = { id, receivedTs: ts, reporter, reason: str(jsonField(raw, "reason")) ?? "" };
  if (kind === "user") {
    const target = str(jsonField(raw, "target_user_id"));
    return target === undefined ? undefined : { ...base, targetUser: target };
  }
  const roomId = str(jsonField(raw, "room_id"));
  const eventId = str(jsonField(raw, "event_id"));
  if (roomId === undefined || eventId === undefined) return undefined;
  const sender = str(jsonField(raw, "sender"));
  return { ...base, roomId, eventId, ...(sender === undefined ? {} : { sender }) };
}

/** The admin calls the reports feature makes. */
export class SynapseReports {
  constructor(private readonly call: MatrixCall) {}

  /** Reports newer than `afterId`, oldest first (pages of 100, newest first, until afterId). */
  async newer(kind: SynapseReportKind, afterId: number): Promise<Result<SynapseReport[], string>> {
    const found: SynapseReport[] = [];
    for (let from = 0; ;) {
      const page = await this.page(kind, from, 100);
      if (!page.ok) return page;
      const { reports, next } = page.value;
      let reached = false;
      for (const r of reports) {
        if (r.id <= afterId) reached = true;
        else found.push(r);
      }
      if (reached || next === undefined || reports.length === 0) break;
      from = next;
    }
    return ok(found.sort((a, b) => a.id - b.id));
  }

  /** The id of the newest report, 0 when there is none. */
  async newestId(kind: SynapseReportKind): Promise<Result<number, string>> {
    const page = await this.page(kind, 0, 1);
    return page.ok ? ok(page.value.reports[0]?.id ?? 0) : page;
  }

  /** The room of an event report (for commands on a report whose room is not kept). */
  async eventReportRoom(id: number): Promise<Result<string, string>> {
    const answer = await this.call("GET", `/_synapse/admin/v1/event_reports/${id}`);
    if (!answer.ok) return err(answer.error);
    if (answer.value.status !== 200) return err(describeFailure(answer.value));
    const room = str(jsonField(answer.value.body, "room_id"));
    return room === undefined ? err("no room_id in Synapse's answer") : ok(room);
  }

  /** Blocks a room (`PUT /_synapse/admin/v1/rooms/{room}/block`): no local user can join. */
  async blockRoom(room: string): Promise<Result<void, string>> {
    const answer = await this.call("PUT", `/_synapse/admin/v1/rooms/${segment(room)}/block`, {
      block: true,
    });
    if (!answer.ok) return err(answer.error);
    return answer.value.status === 200 ? ok(undefined) : err(describeFailure(answer.value));
  }

  private async page(kind: SynapseReportKind, from: number, limit: number) {
    const { path, field } = PATHS[kind];
    const answer = await this.call("GET", `${path}?dir=b&from=${from}&limit=${limit}`);
    if (!answer.ok) return err(`${kind} reports: ${answer.error}`);
    if (answer.value.status !== 200)
      return err(`${kind} reports: ${describeFailure(answer.value)}`);
    const list = jsonField(answer.value.body, field);
    if (!Array.isArray(list)) return err(`${kind} reports: no ${field} in Synapse's answer`);
    const next = jsonField(answer.value.body, "next_token");
    const reports = list.flatMap((raw) => {
      const r = decode(kind, raw);
      return r === undefined ? [] : [r];
    });
    return ok({ reports, next: typeof next === "number" ? next : undefined });
  }
}
