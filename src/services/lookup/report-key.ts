/** The list key of the review queue (`lookup.reports.encryption_key_file`), if configured. */
import { readSecretFile } from "../../config/secrets.js";
import type { LookupConfig } from "../../config/schema.js";
import { parseListKey } from "../../list/encryption.js";

/** Reads and checks the key; undefined without `lookup.reports`. Throws on a bad key file. */
export function reportsKey(lookup: LookupConfig): Buffer | undefined {
  if (lookup.reports === undefined) return undefined;
  const path = lookup.reports.encryption_key_file;
  const key = parseListKey(readSecretFile(path));
  if (!key.ok) throw new Error(`${path}: ${key.error}`);
  return key.value;
}
