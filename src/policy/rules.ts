/**
 * Decoding one state event of a Matrix moderation policy list (spec, client-server API
 * "Moderation policy lists", MSC2313) into a rule, a removal or a skip — zod at the edge,
 * branded ids inside. Also understood: the legacy types `m.room.rule.*` and
 * `org.matrix.mjolnir.rule.*`, the recommendations `m.takedown` (MSC4204) and
 * `org.matrix.mjolnir.ban`, and hashed entities (`hashes.sha256`, MSC4205).
 *
 * Pure: no I/O. A malformed rule is a value (`skipped` with a reason), never a throw.
 */
import { z } from "zod";
import {
  parseRoomId,
  parseServerName,
  parseUserId,
  type RoomId,
  type ServerName,
  type UserId,
} from "../core/ids.js";
import { isGlob } from "./glob.js";

/** What a rule is about. */
export type PolicyKind = "room" | "user" | "server";

/** A recommendation, normalised: the stable and unstable names of one meaning are one. */
export type Recommendation = "ban" | "takedown" | "other";

/** A room alias, `#localpart:server`. Rules may name one; the caller resolves it. */
export type RoomAlias = string & { readonly __roomAlias: true };

/** What a rule names: one exact entity, a glob, or an MSC4205 hash of the entity. */
export type PolicyTarget =
  | { readonly form: "room"; readonly roomId: RoomId }
  | { readonly form: "alias"; readonly alias: RoomAlias }
  | { readonly form: "user"; readonly userId: UserId }
  | { readonly form: "server"; readonly serverName: ServerName }
  | { readonly form: "glob"; readonly pattern: string }
  /** The raw 32 bytes of SHA-256 over the entity's UTF-8 (MSC4205). */
  | { readonly form: "hash"; readonly sha256: Buffer };

/** One rule in force. */
export interface PolicyRule {
  readonly kind: PolicyKind;
  readonly target: PolicyTarget;
  readonly recommendation: Recommendation;
  /** The recommendation as sent (bounded), e.g. `org.matrix.mjolnir.ban`. */
  readonly recommendationType: string;
  readonly reason?: string;
  readonly eventId?: string;
}

/**
 * Why a rule was skipped. Reasons only: a count of these never names an entity.
 * - `glob`: a room rule with `*` or `?` (rooms cannot be enumerated, so a glob names none)
 * - `broad-glob`: a user or server glob with no literal character (it would match everyone)
 * - `bad-entity`: entity missing its form, too long, or not an id of the rule's kind
 * - `no-entity`: neither `entity` nor a hash
 * - `bad-hash`: a hash that is not padded base64 of 32 bytes
 * - `bad-recommendation`: `recommendation` missing or not a string
 * - `bad-content`: `content` is not a JSON object
 */
export type SkipReason =
  | "glob"
  | "broad-glob"
  | "bad-entity"
  | "no-entity"
  | "bad-hash"
  | "bad-recommendation"
  | "bad-content";

export const SKIP_REASONS: readonly SkipReason[] = [
  "glob",
  "broad-glob",
  "bad-entity",
  "no-entity",
  "bad-hash",
  "bad-recommendation",
  "bad-content",
];

/** Where a rule lives in its policy room's state: (event type, state key). */
export interface StateSlot {
  readonly type: string;
  readonly stateKey: string;
}

/** The outcome of decoding one event. */
export type DecodedPolicyEvent =
  | { readonly outcome: "rule"; readonly slot: StateSlot; readonly rule: PolicyRule }
  /** Empty content or a redaction: whatever stood in this slot leaves. */
  | { readonly outcome: "removal"; readonly slot: StateSlot }
  /** The slot now holds a rule we cannot use; what stood there leaves too. */
  | { readonly outcome: "skipped"; readonly slot: StateSlot; readonly reason: SkipReason }
  /** Not a state event at all (no type or state key, or over the spec's size limits). */
  | { readonly outcome: "malformed" }
  /** A state event that is not a policy rule (e.g. `m.room.create`). */
  | { readonly outcome: "ignored" };

// Event types by kind: the spec's names first, then the names used before MSC2313 was
// merged (its "unstable prefix" section), still written by older bots.
const KIND_OF_TYPE: ReadonlyMap<string, PolicyKind> = new Map(
  (["room", "user", "server"] as const).flatMap((kind) =>
    ["m.policy.rule.", "m.room.rule.", "org.matrix.mjolnir.rule."].map(
      (prefix) => [prefix + kind, kind] as const,
    ),
  ),
);

const RECOMMENDATIONS: ReadonlyMap<string, Recommendation> = new Map([
  ["m.ban", "ban"],
  ["org.matrix.mjolnir.ban", "ban"],
  ["m.takedown", "takedown"], // MSC4204
  ["org.matrix.msc4204.takedown", "takedown"],
]);

// The spec's size limits: `type` and `state_key` at most 255 bytes; ids too.
const MAX_BYTES = 255;
const MAX_REASON_CHARS = 1000; // a reason is shown to moderators, not stored whole
const bounded = z
  .string()
  .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_BYTES, "longer than 255 bytes");

const envelopeSchema = z.object({
  type: bounded,
  state_key: bounded,
  event_id: bounded.optional().catch(undefined),
  // Redacted policy events keep no content keys; some servers also say so in unsigned.
  content: z.unknown(),
  unsigned: z.object({ redacted_because: z.unknown().optional() }).optional().catch(undefined),
});

// MSC4205: padded standard base64 of the 32-byte digest (44 characters, one `=`).
const SHA256_BASE64_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const hashesSchema = z.object({ sha256: z.string().regex(SHA256_BASE64_RE).optional() });

const contentSchema = z.object({
  entity: bounded.optional(),
  recommendation: bounded,
  // Required by the spec, but MSC4204 says a takedown SHOULD NOT carry one: optional, and a
  // reason of the wrong type is dropped rather than losing the rule over a comment.
  reason: z
    .string()
    .transform((s) => s.slice(0, MAX_REASON_CHARS))
    .optional()
    .catch(undefined),
  hashes: hashesSchema.optional(),
  "org.matrix.msc4205.hashes": hashesSchema.optional(),
});

const SKIP_OF_FIELD: Readonly<Record<string, SkipReason>> = {
  entity: "bad-entity",
  recommendation: "bad-recommendation",
  hashes: "bad-hash",
  "org.matrix.msc4205.hashes": "bad-hash",
};

/** Decodes one state event (untrusted JSON) of a policy room. */
export function decodePolicyEvent(event: unknown): DecodedPolicyEvent {
  const envelope = envelopeSchema.safeParse(event);
  if (!envelope.success) return { outcome: "malformed" };
  const { type, state_key: stateKey, event_id: eventId, content, unsigned } = envelope.data;
  const kind = KIND_OF_TYPE.get(type);
  if (kind === undefined) return { outcome: "ignored" };
  const slot: StateSlot = { type, stateKey };
  // The spec: a rule is removed by redacting it or by sending the same state with empty content.
  if (unsigned?.redacted_because !== undefined || content === undefined) {
    return { outcome: "removal", slot };
  }
  if (typeof content !== "object" || content === null || Array.isArray(content)) {
    return { outcome: "skipped", slot, reason: "bad-content" };
  }
  if (Object.keys(content).length === 0) return { outcome: "removal", slot };

  const parsed = contentSchema.safeParse(content);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? "");
    return { outcome: "skipped", slot, reason: SKIP_OF_FIELD[field] ?? "bad-entity" };
  }
  const { entity, recommendation, reason, hashes } = parsed.data;
  const sha256 = hashes?.sha256 ?? parsed.data["org.matrix.msc4205.hashes"]?.sha256;

  // A plain entity wins over a hash of it: it is exact and may be a glob (MSC4205 makes
  // `entity` optional only when a hash is present).
  let target: PolicyTarget | SkipReason;
  if (entity !== undefined) target = decodeEntity(kind, entity);
  else if (sha256 !== undefined) target = { form: "hash", sha256: Buffer.from(sha256, "base64") };
  else target = "no-entity";
  if (typeof target === "string") return { outcome: "skipped", slot, reason: target };

  const rule: PolicyRule = {
    kind,
    target,
    recommendation: RECOMMENDATIONS.get(recommendation) ?? "other",
    recommendationType: recommendation,
    ...(reason !== undefined && { reason }),
    ...(eventId !== undefined && { eventId }),
  };
  return { outcome: "rule", slot, rule };
}

// Characters that carry no meaning of their own in a user or server glob: a pattern made
// only of them (`*`, `@*:*`, `*.*`) would match every user or server.
const NON_LITERAL_RE = /[*?@:.]/g;
const SERVER_GLOB_RE = /^[A-Za-z0-9.\-:[\]*?]+$/;

/** Decodes the `entity` of a rule of `kind` (already at most 255 bytes). */
function decodeEntity(kind: PolicyKind, entity: string): PolicyTarget | SkipReason {
  if (entity.length === 0) return "bad-entity";
  if (isGlob(entity)) {
    // Globs cannot name rooms: ids are opaque and aliases are not enumerable here.
    if (kind === "room") return "glob";
    if (entity.replace(NON_LITERAL_RE, "").length === 0) return "broad-glob";
    if (kind === "server" && !SERVER_GLOB_RE.test(entity)) return "bad-entity";
    return { form: "glob", pattern: kind === "server" ? entity.toLowerCase() : entity };
  }
  switch (kind) {
    case "room": {
      if (entity.startsWith("#")) {
        const alias = parseRoomAlias(entity);
        return alias === undefined ? "bad-entity" : { form: "alias", alias };
      }
      const roomId = parseRoomId(entity);
      return roomId.ok ? { form: "room", roomId: roomId.value } : "bad-entity";
    }
    case "user": {
      const userId = parseUserId(entity);
      return userId.ok ? { form: "user", userId: userId.value } : "bad-entity";
    }
    case "server": {
      const name = parseServerName(entity.toLowerCase());
      return name.ok ? { form: "server", serverName: name.value } : "bad-entity";
    }
  }
}

/** Parses `#localpart:server` (the spec's room alias grammar, loosely on the localpart). */
export function parseRoomAlias(input: string): RoomAlias | undefined {
  const colon = input.indexOf(":");
  if (colon < 2) return undefined;
  return parseServerName(input.slice(colon + 1)).ok ? (input as RoomAlias) : undefined;
}
