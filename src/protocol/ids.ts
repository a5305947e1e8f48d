/**
 * zod schemas of the Matrix identifiers and LJS-4 hashes, built on the parse functions of
 * `core/ids.ts`, so a decoded body carries the branded types the services trust.
 */
import { z } from "zod";
import type { Result } from "../core/result.js";
import {
  parseLjs4Hash,
  parseRoomId,
  parseUserId,
  type Ljs4Hash,
  type RoomId,
  type UserId,
} from "../core/ids.js";

/** A string schema that only accepts what `parse` accepts, typed as its brand. */
function branded<T>(parse: (input: unknown) => Result<T, string>) {
  return z.string().transform((input, ctx): T => {
    const parsed = parse(input);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  });
}

export const ljs4HashSchema = branded<Ljs4Hash>(parseLjs4Hash);
export const roomIdSchema = branded<RoomId>(parseRoomId);
export const userIdSchema = branded<UserId>(parseUserId);
