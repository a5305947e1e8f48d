/**
 * Secrets come from files (`*_file` keys), never from the config text itself, so the
 * config can be shared and logged. Read once at start-up; whitespace around is dropped.
 */
import { readFileSync, statSync } from "node:fs";
import type { Config, GuardConfig } from "./schema.js";

/** Reads a secret file; throws a message naming the file but never its content. */
export function readSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(
      `cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  const secret = text.trim();
  if (secret.length === 0) throw new Error(`secret file ${path} is empty`);
  return secret;
}

/** Permission bits of group and others. */
const GROUP_OR_OTHERS = 0o077;

/**
 * The secret files among `paths` that group or others may read, write or enter (a 0644
 * token, say): the services warn about them at start and in `/ready`. Files that cannot be
 * stat'ed are left to `readSecretFile` to report. POSIX modes only (not on Windows).
 */
export function looseSecretFiles(paths: readonly string[]): string[] {
  if (process.platform === "win32") return [];
  return paths.filter((path) => {
    try {
      return (statSync(path).mode & GROUP_OR_OTHERS) !== 0;
    } catch {
      return false;
    }
  });
}

/** The secret files (`*_file` keys) the lookup service reads. */
export function lookupSecretFiles(config: Config): string[] {
  const lookup = config.lookup;
  return present([
    lookup.operations_token_file,
    lookup.private_lookup?.key_seed_file,
    ...lookup.sources.flatMap((s) => [
      s.bearer_token_file,
      s.encryption_key_file,
      s.policy_room?.access_token_file,
    ]),
    lookup.reports?.encryption_key_file,
  ]);
}

/** The secret files (`*_file` keys) the guard reads. */
export function guardSecretFiles(guard: GuardConfig): string[] {
  return present([
    guard.antispam_secret_file,
    guard.pseudonym_secret_file,
    guard.admin_token_file,
    guard.operations_token_file,
    guard.lookup?.api_token_file,
    guard.alerts?.access_token_file,
    guard.text_check_key_file,
    guard.policy_rooms?.access_token_file,
  ]);
}

const present = (paths: ReadonlyArray<string | undefined>) =>
  paths.filter((p): p is string => p !== undefined);

/** The warning `/ready` carries while secret files are open to group or others. */
export function looseSecretWarning(count: number): string {
  return `${count} secret file(s) readable by group or others; see the start-up log and chmod 600 them`;
}
