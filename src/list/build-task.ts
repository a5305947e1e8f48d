/**
 * The CPU-heavy half of loading a list, as one task with a plain-data answer: decrypt,
 * decode and build a list from fetched bytes, or merge several lists into one. Runs in a
 * worker thread (build-worker.ts) so lookups never wait for it; nothing here does I/O.
 * Every error message is fixed text: list content never reaches a log.
 */
import { decodeRdlist } from "../core/rdlist.js";
import { err, ok, type Result } from "../core/result.js";
import { SourceList, SourceListBuilder, type SourceListParts } from "../core/source-list.js";
import { decryptList, isEncryptedList } from "./encryption.js";

/** What a worker is asked to do. */
export type ListBuildTask =
  | {
      readonly kind: "decode";
      /** The fetched bytes (zeroed once decoded). */
      readonly data: Uint8Array;
      /** The list key when the source is encrypted at rest. */
      readonly key: Uint8Array | undefined;
    }
  | { readonly kind: "merge"; readonly lists: readonly SourceListParts[] };

/** A task's answer: a list's parts (to transfer) or a content-free error. */
export type ListBuildAnswer =
  | { readonly ok: true; readonly parts: SourceListParts; readonly skipped: number }
  | { readonly ok: false; readonly error: string };

/** A decoded list and the count of unusable entries skipped. */
export interface DecodedSource {
  readonly list: SourceList;
  readonly skipped: number;
}

/** Decrypts (when keyed), decodes and builds one source's bytes; zeroes the plain text. */
export function decodeListBytes(
  data: Buffer,
  key: Buffer | undefined,
): Result<DecodedSource, string> {
  let plain = data;
  if (key !== undefined) {
    const decrypted = decryptList(data, key);
    if (!decrypted.ok) return decrypted;
    plain = decrypted.value;
  } else if (isEncryptedList(data)) {
    return err("the list is encrypted but no encryption_key_file is configured");
  }
  const decoded = decodeRdlist(plain.toString("utf8"));
  plain.fill(0); // do not leave the decrypted text lying in memory longer than needed
  if (!decoded.ok) return decoded;
  return ok({ list: decoded.value.builder.build(), skipped: decoded.value.skipped });
}

/** One list holding every room of `lists` (first report id, union of tags). */
export function mergeLists(lists: readonly SourceList[]): SourceList {
  const builder = new SourceListBuilder();
  for (const list of lists) for (const entry of list.entries()) builder.add(entry);
  return builder.build();
}

const bytes = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Runs a task; never throws (an unexpected failure is named, never described). */
export function runListBuildTask(task: ListBuildTask): ListBuildAnswer {
  try {
    if (task.kind === "merge") {
      const merged = mergeLists(task.lists.map((parts) => SourceList.fromParts(parts)));
      return { ok: true, parts: merged.toParts(), skipped: 0 };
    }
    const decoded = decodeListBytes(
      bytes(task.data),
      task.key === undefined ? undefined : bytes(task.key),
    );
    if (!decoded.ok) return decoded;
    return { ok: true, parts: decoded.value.list.toParts(), skipped: decoded.value.skipped };
  } catch (e) {
    // A message might quote what was being decoded: only the error's class leaves.
    return { ok: false, error: `unexpected ${(e as Error).name}` };
  }
}
