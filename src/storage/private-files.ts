/**
 * Files and folders only their owner may read, whatever the umask: the database (its WAL
 * and shared-memory files follow the database's mode), its folder, generated secrets and
 * tokens. The mode is set explicitly after creating, because `mode` at creation is masked
 * by the umask and an existing file keeps its old mode.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  mkdirSync,
  openSync,
  writeSync,
} from "node:fs";
import { dirname, resolve } from "node:path";

/** Owner read and write. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner read, write and enter. */
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` and any missing parents as owner-only folders; existing ones are left alone. */
export function ensurePrivateDir(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    mkdirSync(d, { mode: PRIVATE_DIR_MODE });
    chmodSync(d, PRIVATE_DIR_MODE);
  }
}

/** Creates an empty owner-only file at `path` unless one exists (a new SQLite database). */
export function createPrivateFile(path: string): void {
  if (existsSync(path)) return;
  ensurePrivateDir(dirname(path));
  const fd = openSync(path, "a", PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `content` to an owner-only file, its folder created owner-only if missing. An
 * existing file is made owner-only before anything is written to it; `exclusive` refuses
 * to replace one (EEXIST).
 */
export function writePrivateFile(
  path: string,
  content: string | Buffer,
  options: { exclusive?: boolean } = {},
): void {
  ensurePrivateDir(dirname(path));
  const fd = openSync(path, options.exclusive ? "wx" : "w", PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    const data = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    for (let at = 0; at < data.length;) at += writeSync(fd, data, at);
  } finally {
    closeSync(fd);
  }
}
