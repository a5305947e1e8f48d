/**
 * Secrets come from files (`*_file` keys), never from the config text itself, so the
 * config can be shared and logged. Read once at start-up; whitespace around is dropped.
 */
import { readFileSync } from "node:fs";

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
