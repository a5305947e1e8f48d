/**
 * The LJS-4 v2 private lookup wire contract (docs/private-lookup.md, docs/api.md), used by
 * both sides. The guard never sends a room's hash: it sends an RFC 9497 blinded element,
 * gets the evaluated element back, finalizes y = F(k, x) itself and looks y's first 8 bytes
 * up in the listed set. Only a hit sends anything that names a room: 32 bytes of y, which
 * name a listed entry. Errors have the v1 shape (`ljs4ErrorBody`).
 */
import { z } from "zod";
import { ljs4HashSchema } from "./ids.js";

export const LJS4_V2_PATHS = {
  keys: "/_matrix/loj/v2/keys",
  /** Followed by `/{keyId}`. */
  listedSet: "/_matrix/loj/v2/listed_set",
  evaluate: "/_matrix/loj/v2/evaluate",
  evaluateBatch: "/_matrix/loj/v2/evaluate_batch",
  report: "/_matrix/loj/v2/report",
  resolve: "/_matrix/loj/v2/resolve",
} as const;

/** Most elements one batched evaluation (or outputs one resolve) may carry. */
export const MAX_EVALUATE_BATCH = 100;
/** Bytes of y a report names: 32, so a holder of the 8-byte set cannot forge one. */
export const REPORTED_OUTPUT_BYTES = 32;

const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** 32 bytes as unpadded base64url (43 characters). */
export function encode32(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/** A 32-byte value as unpadded base64url, decoded to its bytes. */
export const bytes32Schema = z
  .string()
  .regex(BASE64URL_32, "must be 32 bytes as unpadded base64url")
  .transform((s) => Buffer.from(s, "base64url"));

/** A key id: 1 to 64 of [A-Za-z0-9._-] (it travels in URLs). */
export const keyIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be a key id");

const authenticated = { api_token: z.string().optional() };
const batchOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1, `must hold 1 to ${MAX_EVALUATE_BATCH} items`)
    .max(MAX_EVALUATE_BATCH, `must hold 1 to ${MAX_EVALUATE_BATCH} items`);

/** `POST evaluate`: one blinded element for one user's join or invite (counts like a v1 lookup). */
export const evaluateRequest = z.object({
  ...authenticated,
  key_id: keyIdSchema,
  blinded_element: bytes32Schema,
  user_id_hash: ljs4HashSchema,
});
export type EvaluateRequest = z.output<typeof evaluateRequest>;

/** `POST evaluate_batch` (`directory` scope): every element counts against the quotas. */
export const evaluateBatchRequest = z.object({
  ...authenticated,
  key_id: keyIdSchema,
  blinded_elements: batchOf(bytes32Schema),
});

/** `POST report`: the first 32 bytes of y of a set hit; counts toward the freeze like a v1 hit. */
export const reportRequest = z.object({
  ...authenticated,
  key_id: keyIdSchema,
  output: bytes32Schema,
  user_id_hash: ljs4HashSchema,
});

/** `POST resolve` (`directory` scope): names set hits of a batch; never counts toward a freeze. */
export const resolveRequest = z.object({
  ...authenticated,
  key_id: keyIdSchema,
  outputs: batchOf(bytes32Schema),
});

/**
 * The version of the client's current set under the key: the first 16 hex digits of its
 * ETag. Evaluations carry it, so a guard holding an older set fetches the new one before it
 * decides, instead of missing a room listed since its last refresh.
 */
export const setVersionSchema = z.string().regex(/^[0-9a-f]{16}$/);

/** The set version of an ETag (`"<64 hex>"`). */
export function setVersionOf(etag: string): string {
  return etag.slice(1, 17);
}

/** `200` to `evaluate`. */
export const evaluateAnswer = z.object({
  evaluated_element: bytes32Schema,
  set_version: setVersionSchema.optional(),
});
/** `200` to `evaluate_batch`, in the order asked. */
export const evaluateBatchAnswer = z.object({
  evaluated_elements: z.array(bytes32Schema),
  set_version: setVersionSchema.optional(),
});
/** `200` to `resolve`: listed entries by the output (base64url) that named them. */
export const resolveAnswer = z.object({ listed: z.record(z.string(), z.unknown()) });
/** `200` to `keys`: the keys this client may use, newest first. */
export const keysAnswer = z.object({
  keys: z
    .array(
      z.object({
        key_id: keyIdSchema,
        retires_at: z.number().nullable().optional(),
      }),
    )
    .min(1),
});

/** The first 32 bytes of an output, as a report and a resolve carry them. */
export function reportedOutput(output: Uint8Array): Uint8Array {
  return output.subarray(0, REPORTED_OUTPUT_BYTES);
}
