/**
 * Reads a YAML config file, validates it against the schema and resolves relative paths
 * against the file's folder. Errors come back as one readable message per problem.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { err, ok, type Result } from "../core/result.js";
import { configSchema, type Config, type GuardConfig } from "./schema.js";

/** Validates an already-parsed config document; `baseDir` anchors relative paths. */
export function parseConfig(document: unknown, baseDir: string): Result<Config, string> {
  const moved = movedKey(document);
  if (moved !== undefined) return err(moved);
  const parsed = configSchema.safeParse(document ?? {});
  if (!parsed.success) return err(z.prettifyError(parsed.error));
  return ok(resolvePaths(parsed.data, baseDir));
}

/** Loads and validates the config file at `path`. */
export function loadConfigFile(path: string): Result<Config, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return err(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (e) {
    return err(`config file ${path} is not valid YAML: ${(e as Error).message}`);
  }
  const config = parseConfig(document, dirname(resolve(path)));
  return config.ok ? config : err(`invalid config file ${path}:\n${config.error}`);
}

function resolvePaths(config: Config, baseDir: string): Config {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const optional = <K extends string>(key: K, p: string | undefined) =>
    p === undefined ? {} : ({ [key]: at(p) } as Record<K, string>);
  const database = config.database.startsWith("sqlite:")
    ? resolveSqlite(config.database, at)
    : config.database;
  return {
    ...config,
    database,
    lookup: {
      ...config.lookup,
      ...optional("operations_token_file", config.lookup.operations_token_file),
      sources: config.lookup.sources.map((s) => ({
        ...s,
        ...optional("file", s.file),
        ...optional("bearer_token_file", s.bearer_token_file),
        ...optional("encryption_key_file", s.encryption_key_file),
        ...(s.policy_room === undefined
          ? {}
          : {
              policy_room: {
                ...s.policy_room,
                access_token_file: at(s.policy_room.access_token_file),
              },
            }),
      })),
      ...(config.lookup.private_lookup === undefined
        ? {}
        : {
            private_lookup: {
              ...config.lookup.private_lookup,
              key_seed_file: at(config.lookup.private_lookup.key_seed_file),
            },
          }),
    },
    ...(config.guard === undefined ? {} : { guard: resolveGuardPaths(config.guard, baseDir) }),
  };
}

/** The guard config with every `*_file` path absolute. */
function resolveGuardPaths(guard: GuardConfig, baseDir: string): GuardConfig {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...guard,
    antispam_secret_file: at(guard.antispam_secret_file),
    pseudonym_secret_file: at(guard.pseudonym_secret_file),
    database: guard.database.startsWith("sqlite:")
      ? resolveSqlite(guard.database, at)
      : guard.database,
    ...(guard.admin_token_file === undefined
      ? {}
      : { admin_token_file: at(guard.admin_token_file) }),
    ...(guard.operations_token_file === undefined
      ? {}
      : { operations_token_file: at(guard.operations_token_file) }),
    ...(guard.lookup === undefined
      ? {}
      : { lookup: { ...guard.lookup, api_token_file: at(guard.lookup.api_token_file) } }),
    ...(guard.policy_rooms === undefined
      ? {}
      : {
          policy_rooms: {
            ...guard.policy_rooms,
            access_token_file: at(guard.policy_rooms.access_token_file),
          },
        }),
    terms: guard.terms.map((list) => ({
      ...list,
      file: at(list.file),
      ...(list.allow_file === undefined ? {} : { allow_file: at(list.allow_file) }),
      ...(list.key_file === undefined ? {} : { key_file: at(list.key_file) }),
    })),
    ...(guard.text_check_key_file === undefined
      ? {}
      : { text_check_key_file: at(guard.text_check_key_file) }),
    ...(guard.alerts === undefined
      ? {}
      : { alerts: { ...guard.alerts, access_token_file: at(guard.alerts.access_token_file) } }),
  };
}

/** A readable message for keys that moved (the schema alone would say "unrecognized key"). */
function movedKey(document: unknown): string | undefined {
  const at = (value: unknown, key: string): unknown =>
    typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)[key]
      : undefined;
  if (at(at(at(document, "guard"), "invites"), "term_lists") !== undefined) {
    return "guard.invites.term_lists moved to guard.terms (and each list's terms_file is now file): the same lists serve invites, publishing and the room directory";
  }
  if (at(at(at(document, "guard"), "directory"), "listen") !== undefined) {
    return "guard.directory.listen moved to guard.client_proxy.listen: the room directory is served by the guard's client-API proxy (with knocks and room reports); the other guard.directory settings stay";
  }
  return undefined;
}

function resolveSqlite(url: string, at: (p: string) => string): string {
  const path = url.slice("sqlite:".length);
  return path === ":memory:" ? url : `sqlite:${at(path)}`;
}
