/**
 * Config of following Matrix policy rooms (MSC2313; docs/policy-lists.md): the lookup
 * service's `policy_room` source and the guard's `policy_rooms`.
 */
import { z } from "zod";
import { recommendationTagsSchema } from "../policy/ruleset.js";

const rooms = z
  .array(
    z
      .string()
      .regex(
        /^[!#][^:]*:.+|^![A-Za-z0-9+/_-]{43}$/,
        "must be a room id (`!…`) or alias (`#…:server`)",
      ),
  )
  .min(1)
  .max(100)
  .meta({
    description:
      "Policy rooms to follow, by room id or alias (aliases are resolved again every 10 minutes).",
    examples: [["#community-bans:example.org", "!abcdef:example.org"]],
  });

const accessTokenFile = z.string().meta({
  description:
    "Access token of an ordinary account joined to (or invited to) the policy rooms; invites are accepted.",
  examples: ["./secrets/policy-reader-token"],
});

/** `lookup.sources[].policy_room`. */
export const policyRoomSourceSchema = z
  .strictObject({
    homeserver_url: z.url({ protocol: /^https?$/ }).meta({
      description: "Client-server API of the homeserver of the reading account.",
      examples: ["https://matrix.example.org"],
    }),
    access_token_file: accessTokenFile,
    rooms,
    recommendation_tags: recommendationTagsSchema.meta({
      description:
        "Which recommendations list a room, with which tags: `takedown` (m.takedown, MSC4204) and `ban` (m.ban). A recommendation left out lists nothing.",
      examples: [{ takedown: ["csam"], ban: ["abuse"] }],
    }),
  })
  .describe(
    "A list source fed by Matrix policy rooms: room rules (plain, MSC4205-hashed, legacy types) followed by /sync; memory only.",
  );

/** `guard.policy_rooms`. */
export const guardPolicyRoomsSchema = z
  .strictObject({
    homeserver_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "Client-server API of the reading account's homeserver; default `guard.homeserver_url`.",
      ),
    access_token_file: accessTokenFile,
    rooms,
  })
  .describe(
    "Policy rooms the guard follows: user and server rules refuse invites; room rules refuse joins and invites before any lookup. Never applies to server admins or alert-room moderators.",
  );
