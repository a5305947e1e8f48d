/**
 * One sweep of the homeserver: enumerate local users and their pending invites and joined
 * rooms (admin API, a few calls at a time), ask the lookup service which of those rooms are
 * listed with the non-counting batch check (never a lookup: a sweep must not freeze
 * anyone), match invited rooms' names and topics against the term lists, plan
 * (sweep-plan.ts), then act, recording each action in the ledger before and after, so a
 * crash in between neither repeats a finished action nor forgets a begun one. Every
 * failure is counted and the sweep goes on; the next sweep retries what failed.
 */
import { MAX_CHECK_BATCH } from "../../../protocol/ljs4.js";
import type { RoomId, UserId } from "../../../core/ids.js";
import { err, ok, type Result } from "../../../core/result.js";
import type { ListedRoom, LookupClient } from "../lookup/lookup-client.js";
import { planSweep, type PlannedStep, type RoomPeople, type SweepPolicy } from "./sweep-plan.js";
import type {
  HomeserverFailure,
  SweepAction,
  SweepHomeserver,
  SweepLedger,
} from "./sweep-ports.js";
import { emptyReport, type SweepReport } from "./sweep-report.js";

/** Admin API calls in flight at once: a sweep must not crowd out Synapse's own work. */
export const SWEEP_CONCURRENCY = 4;
/** Most pages of users one sweep reads (100 a page: a million users). */
const MAX_USER_PAGES = 10_000;
/** Retries of a rate-limited batch check, and the longest wait before one. */
const CHECK_RETRIES = 5;
const MAX_CHECK_WAIT_MS = 60_000;

/** What a sweep needs. */
export interface SweeperDeps {
  readonly homeserver: SweepHomeserver;
  readonly lookup: LookupClient;
  readonly ledger: SweepLedger;
  readonly policy: SweepPolicy;
  /** Whether a room name or topic matches `guard.terms` (undefined without term lists). */
  readonly matchesTerms: ((text: string) => boolean) | undefined;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Called once per action taken or failed (logs and metrics); never with a room id. */
  readonly onAction?: (
    action: SweepAction,
    result: "done" | "failed" | "gone",
    reason?: string,
  ) => void;
}

/** Runs sweeps; one at a time per instance. */
export class Sweeper {
  private signal: AbortSignal | undefined;

  constructor(private readonly deps: SweeperDeps) {}

  private get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /**
   * One whole sweep; `dryRun` plans and reports without acting or recording anything. An
   * aborted `signal` (the guard stopping) ends it between two calls.
   */
  async sweep(
    options: { readonly dryRun?: boolean; readonly signal?: AbortSignal } = {},
  ): Promise<SweepReport> {
    const report = emptyReport(options.dryRun === true);
    this.signal = options.signal;
    const rooms = await this.enumerate(report);
    if (rooms === undefined) return report;
    report.rooms = rooms.size;
    const listed = await this.listedAmong([...rooms.keys()], report);
    if (listed === undefined) return report;
    report.listedRooms = listed.size;
    const termRooms = await this.termRooms(rooms, listed, report);
    const steps = planSweep(rooms, listed, termRooms, this.deps.policy);
    if (report.dryRun) {
      for (const step of steps) report.count(step, "planned");
      return report;
    }
    // Steps on one room run in order; different rooms run side by side, a few at a time.
    const byRoom = new Map<RoomId, PlannedStep[]>();
    for (const step of steps) byRoom.set(step.room, [...(byRoom.get(step.room) ?? []), step]);
    await pooled([...byRoom.values()], async (roomSteps) => {
      for (const step of roomSteps) if (!this.aborted) await this.act(step, report);
    });
    return report;
  }

  /** Local users' invited and joined rooms; undefined when the users cannot be listed. */
  private async enumerate(report: SweepReport): Promise<Map<RoomId, RoomPeople> | undefined> {
    const { homeserver } = this.deps;
    const rooms = new Map<RoomId, { invited: Set<UserId>; joined: Set<UserId> }>();
    let from: string | undefined;
    for (let page = 0; page < MAX_USER_PAGES; page++) {
      const answer = await homeserver.usersPage(from);
      if (!answer.ok) {
        report.fail("list_users", answer.error);
        return undefined;
      }
      const users = answer.value.users;
      report.users += users.length;
      await pooled(users, async (user) => {
        if (this.aborted) return;
        const memberships = await homeserver.memberships(user);
        if (!memberships.ok) {
          // A user deleted mid-sweep has no memberships left to act on.
          if (memberships.error.kind === "gone") report.usersGone++;
          else report.fail("memberships", memberships.error.reason);
          return;
        }
        for (const [room, membership] of memberships.value) {
          let people = rooms.get(room);
          if (people === undefined)
            rooms.set(room, (people = { invited: new Set(), joined: new Set() }));
          (membership === "invite" ? people.invited : people.joined).add(user);
        }
      });
      from = answer.value.next;
      if (this.aborted) {
        report.fail("sweep", "stopped");
        return undefined;
      }
      if (from === undefined) return rooms;
    }
    return rooms;
  }

  /** The listed rooms among `rooms`, by batch check; undefined when the check fails. */
  private async listedAmong(
    rooms: readonly RoomId[],
    report: SweepReport,
  ): Promise<Map<RoomId, ListedRoom> | undefined> {
    const listed = new Map<RoomId, ListedRoom>();
    for (let i = 0; i < rooms.length; i += MAX_CHECK_BATCH) {
      const batch = rooms.slice(i, i + MAX_CHECK_BATCH);
      const answer = await this.check(batch);
      if (!answer.ok) {
        report.fail("check", answer.error);
        return undefined;
      }
      for (const [room, match] of answer.value) listed.set(room, match);
    }
    return listed;
  }

  /** One batch check, waiting out the client's quota a few times. */
  private async check(
    rooms: readonly RoomId[],
  ): Promise<Result<ReadonlyMap<RoomId, ListedRoom>, string>> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.deps.lookup.check(rooms);
      if (answer.kind === "checked") return ok(answer.listed);
      if (answer.kind === "unsupported")
        return err("the lookup service refuses the batch check (no directory scope?)");
      if (answer.kind === "unavailable") return err("the lookup service is unavailable");
      if (attempt >= CHECK_RETRIES) return err("the lookup service's quota is used up");
      await this.deps.sleep(Math.min(answer.retryAfterMs, MAX_CHECK_WAIT_MS));
    }
  }

  /** Invited rooms (not listed) whose name or topic matches the term lists. */
  private async termRooms(
    rooms: ReadonlyMap<RoomId, RoomPeople>,
    listed: ReadonlyMap<RoomId, ListedRoom>,
    report: SweepReport,
  ): Promise<Set<RoomId>> {
    const { matchesTerms, homeserver, policy } = this.deps;
    const matched = new Set<RoomId>();
    if (matchesTerms === undefined || !policy.rejectPendingInvites) return matched;
    const invited = [...rooms].filter(([room, p]) => p.invited.size > 0 && !listed.has(room));
    await pooled(invited, async ([room]) => {
      const texts = await homeserver.roomTexts(room);
      if (!texts.ok) {
        if (texts.error.kind === "failed") report.fail("room_details", texts.error.reason);
        return;
      }
      if (texts.value.some((text) => matchesTerms(text))) matched.add(room);
    });
    report.termRooms = matched.size;
    return matched;
  }

  /** Takes one step, recorded before and after; a finished room-wide step is never repeated. */
  private async act(step: PlannedStep, report: SweepReport): Promise<void> {
    const { ledger, now, onAction } = this.deps;
    const key = {
      room: step.room,
      user: "user" in step ? step.user : undefined,
      action: step.action,
    };
    let before: "started" | "done" | undefined;
    try {
      before = await ledger.state(key);
      // A user's invite or membership seen again is new (the condition is observed afresh);
      // a room-wide action or alert, once done, is done.
      if (before === "done" && !("user" in step)) return;
      await ledger.begin(key, now());
    } catch (e) {
      report.fail("ledger", (e as Error).message);
      return;
    }
    const outcome = await this.perform(step);
    if (!outcome.ok) {
      const gone = outcome.error.kind === "gone";
      onAction?.(step.action, gone ? "gone" : "failed", gone ? undefined : outcome.error.reason);
      if (gone) report.roomsGone++;
      else report.fail(step.action, outcome.error.reason);
      return;
    }
    try {
      await ledger.finish(key, now());
    } catch (e) {
      report.fail("ledger", (e as Error).message);
    }
    onAction?.(step.action, "done");
    report.count(step, before === "done" ? "repeated" : "done");
  }

  private perform(step: PlannedStep): Promise<Result<void, HomeserverFailure>> {
    const { homeserver, policy } = this.deps;
    switch (step.action) {
      case "alert":
        return Promise.resolve(ok(undefined)); // the sweep summary is the alert
      case "reject_invite":
      case "evict":
        return homeserver.leaveAs(step.user, step.room);
      case "block":
        return homeserver.block(step.room);
      case "purge":
        return homeserver.purge(step.room, policy.membersOfListedRooms.includes("block"));
      case "quarantine_media":
        return homeserver.quarantineMedia(step.room);
    }
  }
}

/** Runs `work` over `items`, at most SWEEP_CONCURRENCY at a time. */
async function pooled<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, items.length) }, worker));
}
