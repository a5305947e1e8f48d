/**
 * Fetching one list source: a local file (optionally encrypted at rest) or an HTTP(S) URL
 * with a bearer token, polled with conditional requests. A fetch yields the decoded list
 * or an error message that never quotes list content.
 */
import { readFile } from "node:fs/promises";
import { err, ok, type Result } from "../core/result.js";
import type { FetchOutcome, ListSource } from "./list-source.js";
import type { SourceConfig } from "../config/schema.js";
import { readSecretFile } from "../config/secrets.js";
import { redactUrl } from "../observability/redact.js";
import { parseListKey } from "./encryption.js";
import { decodeOffThread } from "./off-thread.js";
import type { FollowerLog } from "../policy/policy-room-follower.js";
import { policyRoomSource } from "./policy-room-source.js";

const SILENT: FollowerLog = { info: () => undefined, warn: () => undefined };

export type { FetchOutcome, ListSource } from "./list-source.js";

const FETCH_TIMEOUT_MS = 30_000;
const MAX_LIST_BYTES = 1024 * 1024 * 1024;

/** Builds the source a config entry describes; `log` hears a policy room follower. */
export function listSource(
  config: SourceConfig,
  refreshMs: number,
  log: FollowerLog = SILENT,
): ListSource {
  if (config.policy_room !== undefined) return policyRoomSource(config.policy_room, refreshMs, log);
  const key =
    config.encryption_key_file === undefined ? undefined : loadKey(config.encryption_key_file);
  if (config.file !== undefined) return fileSource(config.file, key, refreshMs);
  if (config.url !== undefined) {
    const token =
      config.bearer_token_file === undefined ? undefined : readSecretFile(config.bearer_token_file);
    return urlSource(new URL(config.url), token, key, refreshMs);
  }
  throw new Error("a source needs a file or a url"); // the schema guarantees one
}

function loadKey(path: string): Buffer {
  const key = parseListKey(readSecretFile(path));
  if (!key.ok) throw new Error(`${path}: ${key.error}`);
  return key.value;
}

/** Decrypts, decodes and builds in a worker thread (the event loop keeps answering). */
async function decode(
  data: Buffer,
  key: Buffer | undefined,
): Promise<Result<FetchOutcome, string>> {
  const decoded = await decodeOffThread(data, key);
  if (!decoded.ok) return decoded;
  return ok({ kind: "loaded", list: decoded.value.list, skipped: decoded.value.skipped });
}

function fileSource(path: string, key: Buffer | undefined, refreshMs: number): ListSource {
  return {
    label: `file ${path}`,
    refreshMs,
    async fetch() {
      let data: Buffer;
      try {
        data = await readFile(path);
      } catch (e) {
        return err(`cannot read the list file: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
      }
      return decode(data, key);
    },
  };
}

function urlSource(
  url: URL,
  token: string | undefined,
  key: Buffer | undefined,
  refreshMs: number,
): ListSource {
  let etag: string | undefined;
  let lastModified: string | undefined;
  return {
    label: `url ${redactUrl(url.href)}`,
    refreshMs,
    async fetch() {
      const headers: Record<string, string> = {
        accept: "application/json, application/octet-stream",
      };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (etag !== undefined) headers["if-none-match"] = etag;
      if (lastModified !== undefined) headers["if-modified-since"] = lastModified;
      let response: Response;
      try {
        response = await fetch(url, {
          headers,
          signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
          redirect: "error",
        });
      } catch (e) {
        return err(`cannot fetch the list: ${(e as Error).name}`);
      }
      if (response.status === 304) return ok({ kind: "unchanged" });
      if (!response.ok) {
        await response.body?.cancel();
        return err(`the list server answered HTTP ${response.status}`);
      }
      const length = Number(response.headers.get("content-length") ?? "0");
      if (length > MAX_LIST_BYTES) {
        await response.body?.cancel();
        return err("the list is larger than 1 GiB");
      }
      const data = Buffer.from(await response.arrayBuffer());
      const outcome = await decode(data, key);
      if (outcome.ok) {
        etag = response.headers.get("etag") ?? undefined;
        lastModified = response.headers.get("last-modified") ?? undefined;
      }
      return outcome;
    },
  };
}
