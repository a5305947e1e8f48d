/**
 * A `PolicyRuleset`: the rules in force across followed policy rooms, kept as Matrix
 * state is — one slot per (policy room, event type, state key), the latest event wins —
 * so a rule replaced by empty content, redacted, or replaced by a malformed rule leaves at
 * once. Views turn it into what the lookup service's list and the guard need.
 *
 * Pure: events come in as JSON values; no sync, no HTTP.
 */
import { hash } from "node:crypto";
import { z } from "zod";
import { ljs4Hash, ljs4HashFromMsc4205 } from "../core/hash.js";
import type { Ljs4Hash, RoomId } from "../core/ids.js";
import type { ListedRoom } from "../core/source-list.js";
import { PolicyMatcher } from "./matcher.js";
import {
  decodePolicyEvent,
  SKIP_REASONS,
  type PolicyKind,
  type PolicyRule,
  type Recommendation,
  type RoomAlias,
  type SkipReason,
  type StateSlot,
} from "./rules.js";

/** Tags given to rooms by recommendation, e.g. `{ takedown: ["csam"], ban: ["abuse"] }`. */
export const recommendationTagsSchema = z
  .object({
    ban: z
      .array(z.string().min(1).max(64))
      .optional()
      .describe("Tags of rooms under `m.ban` (or `org.matrix.mjolnir.ban`) rules."),
    takedown: z
      .array(z.string().min(1).max(64))
      .optional()
      .describe("Tags of rooms under `m.takedown` (MSC4204) rules."),
  })
  .strict();
export type RecommendationTags = z.output<typeof recommendationTagsSchema>;

/** What `apply` did to the ruleset. */
export type ApplyOutcome = "added" | "replaced" | "removed" | "skipped" | "malformed" | "ignored";

/** Counts of the rules in force and of what was skipped. Never an entity, only numbers. */
export interface PolicyCounts {
  readonly rules: Readonly<Record<PolicyKind, Readonly<Record<Recommendation, number>>>>;
  readonly hashed: number;
  readonly globs: number;
  /** Slots whose current event is a rule we cannot use, by reason. */
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Events with no usable type or state key (seen, not stored). */
  readonly malformedEvents: number;
}

/** A room alias named by room rules, for the caller to resolve to a room id. */
export interface AliasEntry {
  readonly alias: RoomAlias;
  readonly reportId: string;
  readonly tags: readonly string[];
}

/** The room view for the lookup service's list. */
export interface RoomEntries {
  /** One entry per LJS-4 hash; ready for `SourceListBuilder`. */
  readonly rooms: readonly ListedRoom[];
  readonly aliases: readonly AliasEntry[];
  /** Room rules whose recommendation has no tags in the mapping. */
  readonly unmapped: number;
}

type Slot = { readonly rule: PolicyRule } | { readonly skipped: SkipReason };

/**
 * The report id of a rule: "policy:" and the first 16 hex of SHA-256 over (policy room,
 * event type, state key). Stable while the rule stands, even when its reason is edited
 * (an event id would change then, and is optional in what we are given); it names no
 * entity in the clear, and whoever holds the policy room can find the rule behind it.
 */
export function policyReportId(policyRoom: RoomId, slot: StateSlot): string {
  const digest = hash("sha256", JSON.stringify([policyRoom, slot.type, slot.stateKey]), "hex");
  return `policy:${digest.slice(0, 16)}`;
}

/** The rules in force from any number of policy rooms. */
export class PolicyRuleset {
  private readonly slots = new Map<string, Slot & { readonly reportId: string }>();
  private malformedEvents = 0;

  /** Applies one state event of `policyRoom`, in timeline order. */
  apply(policyRoom: RoomId, event: unknown): ApplyOutcome {
    const decoded = decodePolicyEvent(event);
    if (decoded.outcome === "malformed") {
      this.malformedEvents++;
      return "malformed";
    }
    if (decoded.outcome === "ignored") return "ignored";
    const key = JSON.stringify([policyRoom, decoded.slot.type, decoded.slot.stateKey]);
    const had = this.slots.get(key);
    switch (decoded.outcome) {
      case "removal":
        this.slots.delete(key);
        return "removed";
      case "skipped":
        this.slots.set(key, {
          skipped: decoded.reason,
          reportId: policyReportId(policyRoom, decoded.slot),
        });
        return "skipped";
      case "rule":
        this.slots.set(key, {
          rule: decoded.rule,
          reportId: policyReportId(policyRoom, decoded.slot),
        });
        return had !== undefined && "rule" in had ? "replaced" : "added";
    }
  }

  /**
   * Applies a redaction of `eventId` in `policyRoom`: the rule that event set leaves (a
   * redacted policy event keeps no content keys). Other events are not ours to track.
   */
  redact(policyRoom: RoomId, eventId: string): boolean {
    const prefix = JSON.stringify([policyRoom]).slice(0, -1) + ",";
    for (const [key, slot] of this.slots)
      if ("rule" in slot && slot.rule.eventId === eventId && key.startsWith(prefix)) {
        this.slots.delete(key);
        return true;
      }
    return false;
  }

  /** Forgets every rule of one policy room (e.g. when it is no longer followed). */
  dropRoom(policyRoom: RoomId): void {
    const prefix = JSON.stringify([policyRoom]).slice(0, -1) + ",";
    for (const key of this.slots.keys()) if (key.startsWith(prefix)) this.slots.delete(key);
  }

  /** The rules in force (in no particular order). */
  *rules(): IterableIterator<PolicyRule> {
    for (const slot of this.slots.values()) if ("rule" in slot) yield slot.rule;
  }

  /** Counts by kind and recommendation, and skips by reason. */
  counts(): PolicyCounts {
    const zero = (): Record<Recommendation, number> => ({ ban: 0, takedown: 0, other: 0 });
    const rules = { room: zero(), user: zero(), server: zero() };
    const skipped = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<
      SkipReason,
      number
    >;
    let hashed = 0;
    let globs = 0;
    for (const slot of this.slots.values()) {
      if ("skipped" in slot) {
        skipped[slot.skipped]++;
        continue;
      }
      rules[slot.rule.kind][slot.rule.recommendation]++;
      if (slot.rule.target.form === "hash") hashed++;
      if (slot.rule.target.form === "glob") globs++;
    }
    return { rules, hashed, globs, skipped, malformedEvents: this.malformedEvents };
  }

  /**
   * Room entries for the lookup service's list: room rules whose recommendation `tags`
   * maps, as LJS-4 hashes (room ids hashed; MSC4205 hashes converted without knowing the
   * room), aliases apart. A room named by several rules gets the union of their tags and
   * the smallest of their report ids (so the id does not depend on the order of events).
   */
  roomEntries(tags: RecommendationTags): RoomEntries {
    const rooms = new Map<Ljs4Hash, { reportId: string; tags: Set<string> }>();
    const aliases = new Map<RoomAlias, { reportId: string; tags: Set<string> }>();
    let unmapped = 0;
    for (const slot of this.slots.values()) {
      if (!("rule" in slot) || slot.rule.kind !== "room") continue;
      const { recommendation, target } = slot.rule;
      const mapped = recommendation === "other" ? undefined : tags[recommendation];
      if (mapped === undefined || mapped.length === 0) {
        unmapped++;
        continue;
      }
      let into: Map<string, { reportId: string; tags: Set<string> }> = rooms;
      let key: string | undefined;
      if (target.form === "room") key = ljs4Hash(target.roomId);
      else if (target.form === "hash") key = ljs4HashFromMsc4205(target.sha256.toString("base64"));
      else if (target.form === "alias") [into, key] = [aliases, target.alias];
      if (key === undefined) continue; // rules.ts gives room rules no other form
      const entry = into.get(key);
      if (entry === undefined) into.set(key, { reportId: slot.reportId, tags: new Set(mapped) });
      else {
        for (const tag of mapped) entry.tags.add(tag);
        if (slot.reportId < entry.reportId) entry.reportId = slot.reportId;
      }
    }
    const sorted = (s: Set<string>) => [...s].sort();
    return {
      rooms: [...rooms].map(([hash, e]) => ({ hash, reportId: e.reportId, tags: sorted(e.tags) })),
      aliases: [...aliases].map(([alias, e]) => ({
        alias,
        reportId: e.reportId,
        tags: sorted(e.tags),
      })),
      unmapped,
    };
  }

  /** A matcher of users and servers over the rules in force now (a snapshot). */
  matcher(): PolicyMatcher {
    return new PolicyMatcher(this.rules());
  }
}
