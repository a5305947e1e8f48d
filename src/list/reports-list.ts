/**
 * The provider-managed list of accepted reports (docs/reports.md): the review queue keeps
 * reported room ids sealed with the list key, and `redlight reports accept` rewrites one
 * encrypted list file from every accepted report. The lookup service reads that file as one
 * more source; until the first accept it does not exist and counts as an empty list.
 */
import { renameSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ljs4Hash } from "../core/hash.js";
import { err, ok, type Result } from "../core/result.js";
import { SourceList } from "../core/source-list.js";
import { writePrivateFile } from "../storage/private-files.js";
import { decryptList, encryptList } from "./encryption.js";
import { decodeOffThread } from "./off-thread.js";
import type { ListSource } from "./sources.js";

/** Seals a secret text (a reported room id, a reason) with the list key: base64. */
export function seal(text: string, key: Buffer): string {
  return encryptList(Buffer.from(text, "utf8"), key).toString("base64");
}

/** Opens what {@link seal} produced; a wrong key or tampering is an error. */
export function unseal(sealed: string, key: Buffer): Result<string, string> {
  const plain = decryptList(Buffer.from(sealed, "base64"), key);
  return plain.ok ? ok(plain.value.toString("utf8")) : plain;
}

/** An accepted report, opened: its ref (the list's report id), room and tags. */
export interface AcceptedReport {
  readonly ref: string;
  readonly roomId: string;
  readonly tags: readonly string[];
}

/**
 * Writes the encrypted list of accepted reports (rdlist shape, rooms by hash only: the file
 * never holds a room id, even decrypted). Replaces the file atomically.
 */
export function writeReportsList(path: string, reports: readonly AcceptedReport[], key: Buffer) {
  const rdlist = reports.map((r) => ({
    report_id: r.ref,
    room: { room_id_hash: ljs4Hash(r.roomId) },
    report_info: { tags: [...r.tags] },
  }));
  // A reload never reads half a file: write beside it, then rename over it.
  const next = `${path}.next`;
  writePrivateFile(next, encryptList(Buffer.from(JSON.stringify(rdlist), "utf8"), key));
  renameSync(next, path);
}

/** The list source of accepted reports: missing file or no entry → an empty list. */
export function reportsListSource(path: string, key: Buffer, refreshMs: number): ListSource {
  return {
    label: `reports ${path}`,
    refreshMs,
    async fetch() {
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "error";
        if (code === "ENOENT") return ok({ kind: "loaded", list: SourceList.empty(), skipped: 0 });
        return err(`cannot read the reports list: ${code}`);
      }
      const plain = decryptList(data, key);
      if (!plain.ok) return plain;
      if (plain.value.toString("utf8").trim() === "[]")
        return ok({ kind: "loaded", list: SourceList.empty(), skipped: 0 });
      const decoded = await decodeOffThread(data, key);
      if (!decoded.ok) return decoded;
      return ok({ kind: "loaded", list: decoded.value.list, skipped: decoded.value.skipped });
    },
  };
}
