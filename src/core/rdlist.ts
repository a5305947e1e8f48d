/**
 * Decodes a source list in the rdlist shape (the LJS-4 Abuse Lookup API v1 specification,
 * "Source list"): a JSON array of reports, each
 * `{report_id, room: {room_id | room_id_hash}, report_info: {tags}}`.
 *
 * Plain room ids are hashed here and never kept; invalid entries are skipped and counted
 * (a partly bad list still protects), but a document that is not such an array, or holds
 * no valid entry at all, is rejected so the last good list stays in service.
 */
import { Ljs4HashWriter } from "./hash.js";
import { parseLjs4Hash, parseRoomId } from "./ids.js";
import { InvalidJsonError, jsonArraySlices, looksLikeJsonArray } from "./json-array.js";
import { err, ok, type Result } from "./result.js";
import { SourceListBuilder } from "./source-list.js";

/** The outcome of decoding one source document. */
export interface DecodedList {
  readonly builder: SourceListBuilder;
  /** Entries that were not usable (bad room id, missing report id or tags). */
  readonly skipped: number;
}

const MAX_REPORT_ID_LENGTH = 256;
const MAX_TAG_LENGTH = 64;

/** Reports parsed at a time: few enough that what is decoded dies young (json-array.ts). */
const SLICE = 4096;

/** Decodes one rdlist document into a fresh builder. */
export function decodeRdlist(text: string): Result<DecodedList, string> {
  if (!looksLikeJsonArray(text)) {
    try {
      JSON.parse(text);
    } catch {
      // The parser's message may quote list content: never pass it on.
      return err("the list is not valid JSON");
    }
    return err("the list must be a JSON array of reports");
  }
  const builder = new SourceListBuilder();
  let skipped = 0;
  let added = 0;
  // One scratch key for every entry: the builder copies it (no Buffer per room).
  const key = Buffer.alloc(32);
  const hasher = new Ljs4HashWriter();
  try {
    for (const reports of jsonArraySlices(text, SLICE)) {
      for (const report of reports) {
        const entry = decodeReport(report, key, hasher);
        if (!entry) {
          skipped++;
          continue;
        }
        builder.add({ hash: key, reportId: entry.reportId, tags: entry.tags });
        added++;
      }
    }
  } catch (e) {
    if (e instanceof InvalidJsonError) return err("the list is not valid JSON");
    throw e;
  }
  if (added === 0) return err(`the list holds no valid report (${skipped} skipped)`);
  return ok({ builder, skipped });
}

/** Checks one report; writes its room's LJS-4 hash into `key` when it is usable. */
function decodeReport(
  report: unknown,
  key: Buffer,
  hasher: Ljs4HashWriter,
): { reportId: string; tags: string[] } | undefined {
  if (typeof report !== "object" || report === null) return undefined;
  const { report_id: reportId, room, report_info: info } = report as Record<string, unknown>;
  if (
    typeof reportId !== "string" ||
    reportId.length === 0 ||
    reportId.length > MAX_REPORT_ID_LENGTH
  ) {
    return undefined;
  }
  if (typeof room !== "object" || room === null) return undefined;
  if (typeof info !== "object" || info === null) return undefined;
  const tags = (info as Record<string, unknown>).tags;
  if (!Array.isArray(tags) || tags.length === 0) return undefined;
  if (
    !tags.every(
      (t): t is string => typeof t === "string" && t.length > 0 && t.length <= MAX_TAG_LENGTH,
    )
  ) {
    return undefined;
  }
  const { room_id: roomId, room_id_hash: roomIdHash } = room as Record<string, unknown>;
  if (roomId !== undefined) {
    const parsed = parseRoomId(roomId);
    if (!parsed.ok) return undefined;
    hasher.write(parsed.value, key);
    return { reportId, tags };
  }
  const parsed = parseLjs4Hash(roomIdHash);
  if (!parsed.ok) return undefined;
  key.write(parsed.value, 0, "hex");
  return { reportId, tags };
}
