/**
 * Branded identifiers: untrusted input is decoded once at the edge into these types and
 * trusted inside. Grammar per the Matrix spec, appendix "Identifier Grammar".
 */
import { err, ok, type Result } from "./result.js";

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A Matrix room id, `!opaque:server`. */
export type RoomId = Brand<string, "RoomId">;
/** A Matrix user id, `@localpart:server`. */
export type UserId = Brand<string, "UserId">;
/** A Matrix server name (host with optional port). */
export type ServerName = Brand<string, "ServerName">;
/** An LJS-4 hash: 64 lowercase hex characters (see `hash.ts`). */
export type Ljs4Hash = Brand<string, "Ljs4Hash">;

const MAX_ID_LENGTH = 255; // spec: identifiers MUST NOT exceed 255 bytes
const HASH_RE = /^[0-9a-f]{64}$/;
// Server name: hostname, IPv4 literal or bracketed IPv6 literal, optional port.
const SERVER_NAME_RE = /^(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(:\d{1,5})?$/;

function parseSigilled(sigil: string, input: unknown, what: string): Result<string, string> {
  if (typeof input !== "string") return err(`${what} must be a string`);
  if (Buffer.byteLength(input, "utf8") > MAX_ID_LENGTH) return err(`${what} is too long`);
  if (!input.startsWith(sigil)) return err(`${what} must start with '${sigil}'`);
  const colon = input.indexOf(":");
  if (colon < 2) return err(`${what} must look like ${sigil}localpart:server`);
  const server = input.slice(colon + 1);
  if (!SERVER_NAME_RE.test(server)) return err(`${what} has an invalid server name`);
  return ok(input);
}

// Room version 12 (MSC4291, Synapse's default since 1.163) drops the server part: `!`
// and the create event's reference hash in unpadded URL-safe base64.
const V12_ROOM_ID_RE = /^![A-Za-z0-9_-]{43}$/;

/** Parses a room id: `!opaque:server`, or the server-less id of room version 12. */
export function parseRoomId(input: unknown): Result<RoomId, string> {
  if (typeof input === "string" && V12_ROOM_ID_RE.test(input)) return ok(input as RoomId);
  return parseSigilled("!", input, "room id") as Result<RoomId, string>;
}

/** Parses a user id such as `@alice:example.org`. */
export function parseUserId(input: unknown): Result<UserId, string> {
  return parseSigilled("@", input, "user id") as Result<UserId, string>;
}

/** Parses a server name such as `example.org:8448`. */
export function parseServerName(input: unknown): Result<ServerName, string> {
  if (typeof input !== "string" || !SERVER_NAME_RE.test(input)) {
    return err("server name is invalid");
  }
  return ok(input as ServerName);
}

/** The server part of a user id (room ids of version 12 have none). */
export function serverOf(id: UserId): ServerName {
  return id.slice(id.indexOf(":") + 1) as ServerName;
}

/** Parses an LJS-4 hash: exactly 64 lowercase hex characters. */
export function parseLjs4Hash(input: unknown): Result<Ljs4Hash, string> {
  if (typeof input !== "string" || !HASH_RE.test(input)) {
    return err("must be 64 lowercase hexadecimal characters");
  }
  return ok(input as Ljs4Hash);
}
