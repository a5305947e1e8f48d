/**
 * Reports into the alert room (docs/reports.md). Synapse gives moderators no signal when a
 * user files a report, so the guard polls its event and user report admin APIs (a cursor
 * per list in the guard's database: nothing posted twice, nothing lost across restarts),
 * takes room reports from the client-API proxy through {@link GuardReports.acceptRoomReport},
 * checks each reported room with the batch check (never counts toward a freeze) and posts
 * one alert per report under a short id moderators use in commands.
 */
import type { RoomReport } from "../client-proxy/room-reports.js";
import { parseRoomId, type RoomId } from "../../../core/ids.js";
import type { Logger } from "../../../observability/logger.js";
import { Cursors } from "../../../storage/guard-database.js";
import type { SqlDatabase } from "../../../storage/sql-database.js";
import type { AlertSink } from "../alerts/alert-sender.js";
import type { DecisionRecorder } from "../decisions/decision-record.js";
import type { ListedRoom } from "../gates/verdict.js";
import type { CheckResult } from "../lookup/lookup-client.js";
import {
  ReportStore,
  shortIdOf,
  type GuardReport,
  type Listing,
  type NewGuardReport,
} from "./report-store.js";
import { reportReceived } from "./report-records.js";
import { MAX_KEPT_REASON, reportAlert } from "./report-text.js";
import type { SynapseReport, SynapseReportKind, SynapseReports } from "./synapse-reports.js";

/** A room report as the client-API proxy hands it over. */
export type { RoomReport };

/** What the reports feature uses. */
export interface GuardReportsDeps {
  readonly db: SqlDatabase;
  /** Synapse's report admin APIs; undefined without an admin token (room reports only). */
  readonly synapse: SynapseReports | undefined;
  /** The batch check (the lookup service). */
  readonly check: (rooms: readonly RoomId[]) => Promise<CheckResult>;
  readonly alerts: AlertSink;
  readonly logger: Logger;
  readonly now: () => number;
  /** The decisions log: each report received, by kind. */
  readonly decisions?: DecisionRecorder | undefined;
}

const KINDS: readonly SynapseReportKind[] = ["event", "user"];
const cursorName = (kind: SynapseReportKind) => `reports.${kind}`;
/** Room reports waiting for the next pass; more are dropped (and logged). */
const MAX_PENDING_ROOM_REPORTS = 1000;

/** Brings reports into the alert room. */
export class GuardReports {
  readonly store: ReportStore;
  private readonly cursors: Cursors;
  private readonly pendingRooms: RoomReport[] = [];
  private passing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: GuardReportsDeps) {
    this.store = new ReportStore(deps.db);
    this.cursors = new Cursors(deps.db);
  }

  /** Takes a room report from the client-API proxy; it is posted on the next pass. */
  acceptRoomReport(report: RoomReport): void {
    if (this.pendingRooms.length >= MAX_PENDING_ROOM_REPORTS) {
      this.deps.logger.warn("room report dropped: too many waiting");
      return;
    }
    this.pendingRooms.push(report);
  }

  /** Resolves when the pass under way, if any, is done. */
  async idle(): Promise<void> {
    await this.passing?.catch(() => undefined);
  }

  /** One pass: alerts left unsent by a crash, then new room, event and user reports. */
  pass(): Promise<void> {
    if (this.passing !== undefined) {
      this.again = true;
      return this.passing;
    }
    this.passing = (async () => {
      try {
        do {
          this.again = false;
          await this.resend();
          await this.roomReports();
          for (const kind of KINDS) await this.synapseReports(kind);
        } while (this.again);
      } finally {
        this.passing = undefined;
      }
    })();
    return this.passing;
  }

  private async resend(): Promise<void> {
    const left = await this.store.unalerted();
    if (left.length > 0) this.post(left, new Map());
    await this.store.markAlerted(
      left.map((r) => r.shortId),
      this.deps.now(),
    );
  }

  private async synapseReports(kind: SynapseReportKind): Promise<void> {
    const synapse = this.deps.synapse;
    if (synapse === undefined) return;
    const { logger, now } = this.deps;
    const saved = await this.cursors.get(cursorName(kind));
    if (saved === undefined) {
      // First start: begin after the newest report, not with the whole history.
      const newest = await synapse.newestId(kind);
      if (!newest.ok) return logger.warn({ reason: newest.error }, "reading reports failed");
      await this.cursors.set(cursorName(kind), String(newest.value), now());
      logger.info({ kind, after: newest.value }, "report polling starts after the newest report");
      return;
    }
    const fresh = await synapse.newer(kind, Number(saved));
    if (!fresh.ok) return logger.warn({ reason: fresh.error }, "reading reports failed");
    if (fresh.value.length === 0) return;
    const listings = await this.listings(fresh.value.flatMap((r) => (r.roomId ? [r.roomId] : [])));
    const rows = fresh.value.map((r) => fromSynapse(kind, r, listings));
    const details = new Map<string, ListedRoom>();
    for (const r of fresh.value) {
      const listed = r.roomId === undefined ? undefined : listings.listed.get(r.roomId);
      if (listed !== undefined) details.set(shortIdOf(kind, r.id), listed);
    }
    const last = fresh.value[fresh.value.length - 1] as SynapseReport;
    const inserted = await this.deps.db.transaction(async (tx) => {
      const added = await this.store.insert(tx, rows, now());
      await new Cursors(tx).set(cursorName(kind), String(last.id), now());
      return added;
    });
    await this.alert(inserted, details);
  }

  private async roomReports(): Promise<void> {
    if (this.pendingRooms.length === 0) return;
    const batch = this.pendingRooms.splice(0, 100);
    const rooms = batch.flatMap((r) => {
      const parsed = parseRoomId(r.roomId);
      return parsed.ok ? [parsed.value] : [];
    });
    const listings = await this.listings(rooms);
    const { now } = this.deps;
    const details = new Map<string, ListedRoom>();
    const inserted = await this.deps.db.transaction(async (tx) => {
      let n = await this.store.nextRoomNumber(tx);
      const rows = batch.map((r) => {
        const listing = listingOf(r.roomId, listings);
        const listed = listings.listed.get(r.roomId);
        if (listed !== undefined) details.set(shortIdOf("room", n), listed);
        return {
          shortId: shortIdOf("room", n),
          kind: "room" as const,
          synapseId: n++,
          reporter: r.reporter,
          targetUser: null,
          eventId: null,
          roomId: listing.listed === "listed" ? null : r.roomId,
          reason: r.reason.slice(0, MAX_KEPT_REASON),
          listed: listing.listed,
          receivedAt: r.receivedAt,
        };
      });
      return this.store.insert(tx, rows, now());
    });
    await this.alert(inserted, details);
  }

  /** Whether each room is listed: the batch check, or nothing when it cannot answer. */
  private async listings(rooms: readonly string[]): Promise<Listings> {
    const unique = [...new Set(rooms)].flatMap((r) => {
      const parsed = parseRoomId(r);
      return parsed.ok ? [parsed.value] : [];
    });
    const listed = new Map<string, ListedRoom>();
    // The batch check takes 100 rooms at a time.
    for (let at = 0; at < unique.length; at += 100) {
      const answer = await this.deps.check(unique.slice(at, at + 100));
      if (answer.kind !== "checked") {
        this.deps.logger.warn({ outcome: answer.kind }, "reported rooms could not be checked");
        return { answered: false, listed: new Map() };
      }
      for (const [room, entry] of answer.listed) listed.set(room, entry);
    }
    return { answered: true, listed };
  }

  private async alert(
    inserted: readonly GuardReport[],
    details: ReadonlyMap<string, ListedRoom>,
  ): Promise<void> {
    for (const r of inserted) this.deps.decisions?.record(reportReceived(r.kind));
    this.post(inserted, details);
    await this.store.markAlerted(
      inserted.map((r) => r.shortId),
      this.deps.now(),
    );
  }

  private post(reports: readonly GuardReport[], details: ReadonlyMap<string, ListedRoom>): void {
    for (const r of reports)
      this.deps.alerts.post("report", reportAlert(r, details.get(r.shortId)));
  }
}

interface Listings {
  /** False when the lookup service could not say (every room's listing is unknown). */
  readonly answered: boolean;
  readonly listed: ReadonlyMap<string, ListedRoom>;
}

function listingOf(room: string | undefined, listings: Listings): { listed: Listing } {
  if (room === undefined) return { listed: "no_room" };
  if (!listings.answered) return { listed: "unknown" };
  return { listed: listings.listed.has(room) ? "listed" : "not_listed" };
}

function fromSynapse(
  kind: SynapseReportKind,
  r: SynapseReport,
  listings: Listings,
): NewGuardReport {
  const { listed } = listingOf(r.roomId, listings);
  return {
    shortId: shortIdOf(kind, r.id),
    kind,
    synapseId: r.id,
    reporter: r.reporter,
    targetUser: r.targetUser ?? r.sender ?? null,
    eventId: r.eventId ?? null,
    // A listed or possibly listed room is not kept: Synapse answers it when a command needs it.
    roomId: listed === "not_listed" ? (r.roomId ?? null) : null,
    reason: r.reason.slice(0, MAX_KEPT_REASON),
    listed,
    receivedAt: r.receivedTs,
  };
}
