/**
 * The LJS-4 Abuse Lookup API v1 wire contract (docs/api.md), used by both sides: the lookup
 * service decodes requests and writes answers with it, the guard writes requests and
 * decodes answers with it. Extensions: `unfreeze`, the batch `check` and `list_version`.
 */
import { z } from "zod";
import type { ApiError } from "../core/errors.js";
import { ljs4HashSchema, roomIdSchema } from "./ids.js";

export const LJS4_PATHS = {
  abuseLookup: "/_matrix/loj/v1/abuse_lookup",
  unfreeze: "/_matrix/loj/v1/unfreeze",
  check: "/_matrix/loj/v1/check",
  report: "/_matrix/loj/v1/report",
  listVersion: "/_matrix/loj/v1/list_version",
} as const;

/** Most hashes one batch check may ask about. */
export const MAX_CHECK_BATCH = 100;

/** The token may come in the body instead of the Authorization header (LJS-4). */
const authenticated = { api_token: z.string().optional() };

/** `PUT abuse_lookup`: `{room_id_hash, user_id_hash, api_token?}`. */
export const abuseLookupRequest = z.object({
  ...authenticated,
  room_id_hash: ljs4HashSchema,
  user_id_hash: ljs4HashSchema,
});
export type AbuseLookupRequest = z.output<typeof abuseLookupRequest>;

/** `POST unfreeze`: `{user_id_hash, api_token?}`. */
export const unfreezeRequest = z.object({ ...authenticated, user_id_hash: ljs4HashSchema });
export type UnfreezeRequest = z.output<typeof unfreezeRequest>;

/** `POST check`: `{room_id_hashes: [1..100 hashes], api_token?}`. */
export const checkRequest = z.object({
  ...authenticated,
  room_id_hashes: z
    .array(ljs4HashSchema)
    .min(1, `must hold 1 to ${MAX_CHECK_BATCH} hashes`)
    .max(MAX_CHECK_BATCH, `must hold 1 to ${MAX_CHECK_BATCH} hashes`),
});
export type CheckRequest = z.output<typeof checkRequest>;

/** Longest reason a report may carry (characters). */
export const MAX_REPORT_REASON = 1000;
/** Most tags a report may suggest, and their longest length. */
const MAX_REPORT_TAGS = 8;
const MAX_REPORT_TAG = 64;

/** `POST report` (Redlight extension, `report` scope): `{room_id, reason, tags?, api_token?}`. */
export const reportRequest = z.object({
  ...authenticated,
  room_id: roomIdSchema,
  reason: z.string().max(MAX_REPORT_REASON, `must be at most ${MAX_REPORT_REASON} characters`),
  tags: z
    .array(
      z
        .string()
        .regex(/^[a-z0-9_.-]+$/, "tags are lowercase letters, digits, '_', '.' or '-'")
        .max(MAX_REPORT_TAG),
    )
    .max(MAX_REPORT_TAGS)
    .optional(),
});
export type ReportRequest = z.output<typeof reportRequest>;

/** A report reference: what the reporter polls the outcome with. */
export const reportRefSchema = z.string().regex(/^rr_[A-Za-z0-9_-]{16,64}$/);

/** `202` to `POST report`: `{report_ref}`. */
export const reportAnswer = z.object({ report_ref: reportRefSchema });

/** `200` to `GET report/{ref}`: `{report_ref, state, tags?}` (tags once accepted). */
export const reportStatusAnswer = z.object({
  report_ref: reportRefSchema,
  state: z.enum(["pending", "accepted", "rejected"]),
  tags: z.array(z.string().max(MAX_REPORT_TAG)).max(16).optional(),
});
export type ReportStatus = z.output<typeof reportStatusAnswer>;

/** Only the token, for authenticating a body of any other shape. */
export const tokenOnly = z.object(authenticated);

/**
 * Bounds on what a provider may put into the guard's alerts and logs through a match:
 * longer report ids and tags are cut, extra tags dropped.
 */
const MAX_REPORT_ID = 255;
const MAX_TAGS = 16;
const MAX_TAG = 64;

/** A listed room as the answers carry it: `{report_id, tags}`. */
export const listedEntry = z
  .object({
    report_id: z.string().min(1),
    tags: z.array(z.unknown()).optional(),
  })
  .transform((entry) => ({
    reportId: entry.report_id.slice(0, MAX_REPORT_ID),
    tags: (entry.tags ?? [])
      .filter((t): t is string => typeof t === "string")
      .slice(0, MAX_TAGS)
      .map((t) => t.slice(0, MAX_TAG)),
  }));
export type ListedEntry = z.output<typeof listedEntry>;

/** `200` to `abuse_lookup`: `{error: null, report_id, tags, frozen?}`. */
export const lookupMatchAnswer = z.intersection(
  listedEntry,
  z.object({ frozen: z.boolean().optional() }).transform((a) => ({ frozen: a.frozen === true })),
);

/** `200` to `check`: `{error: null, listed: {hash: {report_id, tags}}}`. */
export const checkAnswer = z.object({ listed: z.record(z.string(), z.unknown()) });

/** `200` to `GET list_version`: `{error: null, version}` (opaque, at most 128 characters). */
export const listVersionAnswer = z.object({ version: z.string().min(1).max(128) });

/** `200` to `unfreeze`: `{error: null, unfrozen}`. */
export const unfreezeAnswer = z.object({ unfrozen: z.boolean() });

/** An error answer: `{error: {errcode, error, retry_after_ms?}, report_id: null}`. */
export const ljs4ErrorAnswer = z.object({
  error: z.object({
    errcode: z.string().max(255),
    retry_after_ms: z.number().positive().optional(),
  }),
});

/** The LJS-4 error body for an ApiError. */
export function ljs4ErrorBody(e: ApiError) {
  const error =
    e.retryAfterMs === undefined
      ? { errcode: e.errcode, error: e.error }
      : { errcode: e.errcode, error: e.error, retry_after_ms: e.retryAfterMs };
  return { error, report_id: null };
}

/** The `200` body of a match. */
export function lookupMatchBody(match: {
  readonly reportId: string;
  readonly tags: readonly string[];
  readonly frozeNow: boolean;
}) {
  const { reportId, tags, frozeNow } = match;
  return frozeNow
    ? { error: null, report_id: reportId, tags, frozen: true }
    : { error: null, report_id: reportId, tags };
}

/** The `200` body of a batch check. */
export function checkAnswerBody(
  listed: Iterable<
    readonly [string, { readonly reportId: string; readonly tags: readonly string[] }]
  >,
) {
  const out: Record<string, { report_id: string; tags: readonly string[] }> = {};
  for (const [hash, match] of listed) out[hash] = { report_id: match.reportId, tags: match.tags };
  return { error: null, listed: out };
}
