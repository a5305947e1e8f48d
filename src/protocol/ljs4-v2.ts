/**
 * The LJS-4 v2 private lookup wire contract (docs/private-lookup.md, docs/api.md), used by
 * both sides. The guard never sends a room's hash: it sends an RFC 9497 blinded element,
 * gets the evaluated element back, finalizes y = F(k, x) itself and looks y's first 8 bytes
 * up in the listed set. Only a hit sends anything that names a room: 32 bytes of y, which
 * name a listed entry. Errors have the v1 shape (`ljs4ErrorBody`).
 *
 * The two evaluations, the hot path of every join, carry nothing but fixed-size group
 * elements and hashes, so their bodies are binary (`application/octet-stream`, as Privacy
 * Pass carries its token requests) and the key id travels in the path: a clean lookup is
 * 64 bytes out and 40 back. Everything else is JSON.
 */
import { z } from "zod";
import type { Ljs4Hash } from "../core/ids.js";
import { err, ok, type Result } from "../core/result.js";
import { ljs4HashSchema } from "./ids.js";

export const LJS4_V2_PATHS = {
  keys: "/_matrix/loj/v2/keys",
  /** Followed by `/{keyId}`, as are the two evaluations. */
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
 * ETag (8 bytes on the wire). Evaluations carry it, so a guard holding an older set fetches
 * the new one before it decides, instead of missing a room listed since its last refresh.
 */
const SET_VERSION_BYTES = 8;
/** Bytes of one element on the wire. */
const ELEMENT_BYTES = 32;
/** Bytes of an `evaluate` body: the blinded element, then the user's LJS-4 hash, raw. */
export const EVALUATE_REQUEST_BYTES = 2 * ELEMENT_BYTES;
/** The media type of both evaluations, request and answer. */
export const EVALUATION_MEDIA_TYPE = "application/octet-stream";

/** The set version of an ETag (`"<64 hex>"`). */
export function setVersionOf(etag: string): string {
  return etag.slice(1, 17);
}

/** `200` to `resolve`: listed entries by the output (base64url) that named them. */
export const resolveAnswer = z.object({ listed: z.record(z.string(), z.unknown()) });
/**
 * `200` to `keys`: the keys this client may use, newest first, each with its public element
 * pkS (32 bytes, base64url), which the guard's additive blinds are made with.
 */
export const keysAnswer = z.object({
  keys: z
    .array(
      z.object({
        key_id: keyIdSchema,
        public_key: bytes32Schema,
        retires_at: z.number().nullable().optional(),
      }),
    )
    .min(1),
});

/** The first 32 bytes of an output, as a report and a resolve carry them. */
export function reportedOutput(output: Uint8Array): Uint8Array {
  return output.subarray(0, REPORTED_OUTPUT_BYTES);
}

/** `POST evaluate/{keyId}`: one blinded element for one user's join or invite. */
export interface EvaluateRequest {
  readonly blindedElement: Uint8Array;
  readonly userIdHash: Ljs4Hash;
}

/** The `evaluate` body: blinded element (32 bytes) ‖ user id hash (32 bytes, raw). */
export function encodeEvaluateRequest(request: EvaluateRequest): Buffer {
  return Buffer.concat([request.blindedElement, Buffer.from(request.userIdHash, "hex")]);
}

/** An `evaluate` body, decoded; a wrong length is the only way it can be malformed. */
export function decodeEvaluateRequest(body: Uint8Array): Result<EvaluateRequest, string> {
  if (body.length !== EVALUATE_REQUEST_BYTES) {
    return err(
      `the body must be ${EVALUATE_REQUEST_BYTES} bytes: the blinded element, then the user id hash`,
    );
  }
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return ok({
    blindedElement: bytes.subarray(0, ELEMENT_BYTES),
    userIdHash: bytes.subarray(ELEMENT_BYTES).toString("hex") as Ljs4Hash,
  });
}

/** The `evaluate_batch` body: the blinded elements, 32 bytes each, nothing between. */
export function encodeEvaluateBatchRequest(elements: readonly Uint8Array[]): Buffer {
  return Buffer.concat(elements);
}

/** An `evaluate_batch` body, decoded: 1 to {@link MAX_EVALUATE_BATCH} elements. */
export function decodeEvaluateBatchRequest(body: Uint8Array): Result<Uint8Array[], string> {
  const count = body.length / ELEMENT_BYTES;
  if (!Number.isInteger(count) || count < 1 || count > MAX_EVALUATE_BATCH) {
    return err(
      `the body must be 1 to ${MAX_EVALUATE_BATCH} blinded elements of ${ELEMENT_BYTES} bytes`,
    );
  }
  return ok(elementsOf(body, 0, count));
}

/** What both evaluations answer: the set version, and the elements in the order asked. */
export interface Evaluation {
  /** Undefined when the provider has no set for the key (yet). */
  readonly setVersion: string | undefined;
  readonly evaluatedElements: readonly Uint8Array[];
}

/** The answer body: set version (8 bytes, zero when none) ‖ evaluated elements. */
export function encodeEvaluation(evaluation: Evaluation): Buffer {
  const version =
    evaluation.setVersion === undefined
      ? Buffer.alloc(SET_VERSION_BYTES)
      : Buffer.from(evaluation.setVersion, "hex");
  return Buffer.concat([version, ...evaluation.evaluatedElements]);
}

/** An answer body holding exactly `count` elements, decoded. */
export function decodeEvaluation(body: Uint8Array, count: number): Result<Evaluation, string> {
  if (body.length !== SET_VERSION_BYTES + count * ELEMENT_BYTES) {
    return err(`an evaluation must hold the set version and ${count} elements`);
  }
  const version = Buffer.from(body.buffer, body.byteOffset, SET_VERSION_BYTES);
  return ok({
    setVersion: version.every((b) => b === 0) ? undefined : version.toString("hex"),
    evaluatedElements: elementsOf(body, SET_VERSION_BYTES, count),
  });
}

function elementsOf(body: Uint8Array, start: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    body.subarray(start + i * ELEMENT_BYTES, start + (i + 1) * ELEMENT_BYTES),
  );
}
