/**
 * The `guard:` section of the one config schema (schema.ts): Synapse's join, invite and
 * publish gate beside a homeserver, its term lists and the room directory guard
 * (directory-schema.ts).
 */
import { z } from "zod";
import { clientProxySchema } from "./client-proxy-schema.js";
import { directorySchema, termsSchema } from "./directory-schema.js";
import { duration, listenAddress, translations } from "./fields.js";
import { guardPolicyRoomsSchema } from "./policy-room-schema.js";

const failMode = (description: string, fallback: "open" | "closed" = "open") =>
  z.enum(["open", "closed"]).default(fallback).describe(description);

/** `guard`. */
export const guardSchema = z
  .strictObject({
    listen: listenAddress("127.0.0.1:8481", "Address of the antispam callbacks, /health, /ready."),
    metrics_listen: listenAddress(
      "127.0.0.1:9481",
      "Address of Prometheus /metrics and POST /admin/unfreeze (used by the CLI). Keep it private.",
    ),
    operations_token_file: z
      .string()
      .optional()
      .meta({
        description:
          "File holding the bearer token of POST /admin/unfreeze (read by `redlight guard unfreeze` too). Absent: the endpoint is off and the CLI unfreezes without the guard.",
        examples: ["./secrets/operations-token"],
      }),
    homeserver_url: z.url({ protocol: /^https?$/ }).meta({
      description: "Client-server API of the homeserver (alerts, admin API).",
      examples: ["http://127.0.0.1:8008"],
    }),
    antispam_secret_file: z.string().meta({
      description:
        "Shared secret of synapse-http-antispam (its `authorization_path` names the same file).",
      examples: ["./secrets/antispam"],
    }),
    pseudonym_secret_file: z.string().meta({
      description:
        "HMAC key for user pseudonyms sent to the lookup service (docs/guard.md). Changing it forgets every freeze.",
      examples: ["./secrets/pseudonym"],
    }),
    admin_token_file: z
      .string()
      .optional()
      .meta({
        description:
          "Access token of a server admin: membership checks, room names for local invites, suspensions.",
        examples: ["./secrets/admin-token"],
      }),
    admin_api_timeout: duration("1s", "Timeout of each Synapse admin API request."),
    database: z
      .string()
      .refine((d) => d.startsWith("sqlite:") || /^postgres(ql)?:\/\//.test(d), {
        message: "must start with sqlite: or postgres://",
      })
      .default("sqlite:./data/guard.db")
      .describe(
        "The guard's own database (cursors of its background work, the sweeps' record of actions): `sqlite:PATH` (default, relative to the config file) or `postgres://…`. Never holds a listed room id.",
      ),
    lookup: z
      .strictObject({
        url: z.url({ protocol: /^https?$/ }).meta({
          description: "Base URL of the lookup service (LJS-4).",
          examples: ["http://127.0.0.1:8480"],
        }),
        api_token_file: z.string().meta({
          description: "File holding this homeserver's lookup token.",
          examples: ["./secrets/lookup-token"],
        }),
        timeout: duration(
          "1500ms",
          "The guard's own deadline for a lookup (Synapse would wait 60 s); then the fail mode applies.",
        ),
        protocol: z
          .enum(["v1", "v2"])
          .default("v1")
          .describe(
            "`v1`: LJS-4 lookups by room hash. `v2`: the private lookup (docs/private-lookup.md); the provider learns nothing about rooms that are not listed.",
          ),
        set_refresh: duration("1m", "With `v2`: how often the listed set's ETag is checked."),
      })
      .optional()
      .describe(
        "The lookup service the guard asks. May be left out when `policy_rooms` is set: then only policy rules refuse joins and invites.",
      ),
    policy_rooms: guardPolicyRoomsSchema.optional(),
    fail_mode: z
      .strictObject({
        user_may_join_room: failMode(
          "When the lookup service is unreachable: allow or refuse joins.",
        ),
        user_may_invite: failMode("The same for invites by local users."),
        federated_user_may_invite: failMode("The same for invites from other servers."),
        user_may_publish_room: failMode(
          "The same for publishing a room in the directory (rare and retryable, so closed by default).",
          "closed",
        ),
      })
      .prefault({})
      .describe("Per callback: `open` allows, `closed` refuses while lookups fail. Both alert."),
    cache: z
      .strictObject({
        clean_ttl: duration("30s", "How long a room found unlisted is answered from memory."),
        max_entries: z
          .number()
          .int()
          .min(0)
          .default(50_000)
          .describe("Most rooms held in the clean verdict cache (0 turns it off)."),
        frozen_recheck: duration(
          "5m",
          "How often a known frozen account is asked about again (to notice unfreezes made elsewhere).",
        ),
        membership_ttl: duration("10s", "How long a user's joined rooms are remembered."),
      })
      .prefault({})
      .describe(
        "Verdict caching. Only clean verdicts are cached; listed rooms always reach the lookup.",
      ),
    invites: z
      .strictObject({
        local_invites_only: z
          .boolean()
          .default(false)
          .describe("Refuse every invite from another server (for communities under attack)."),
        allow_servers: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "Server globs (`*`, `?`) whose invites are accepted; empty accepts any server.",
          ),
        deny_servers: z
          .array(z.string().min(1))
          .default([])
          .describe("Server globs whose invites are refused (checked before allow_servers)."),
        allow_ip_literals: z
          .boolean()
          .default(false)
          .describe("Accept invites from servers named by an IP address (refused by default)."),
      })
      .prefault({})
      .describe(
        "Invite policy (user_may_invite, federated_user_may_invite). Room names and topics are matched against `guard.terms`.",
      ),
    freeze: z
      .strictObject({
        suspend_account: z
          .boolean()
          .default(false)
          .describe(
            "Also suspend a frozen local account in Synapse (needs admin_token_file); unfreezing lifts it.",
          ),
      })
      .prefault({})
      .describe("What the guard does when the lookup service freezes an account."),
    decisions: z
      .strictObject({
        retention: duration(
          "400d",
          "Hourly decision counts (and lookup outages) older than this are deleted; keep more than one transparency reporting period.",
        ),
      })
      .prefault({})
      .describe(
        "The decisions log in `guard.database`: counts per hour for the dashboard and transparency reports (docs/transparency.md).",
      ),
    dashboard: z
      .strictObject({
        listen: listenAddress(
          "127.0.0.1:8482",
          "Address of the guard's dashboard (docs/dashboard.md).",
        ),
        session_ttl: duration("8h", "A dashboard session ends this long after login."),
      })
      .optional()
      .describe(
        "The guard's dashboard: charts of decisions, frozen accounts. Login: server admins and alert-room members with power level ≥ 50. Absent: off.",
      ),
    alerts: z
      .strictObject({
        room_id: z
          .string()
          .regex(/^!.+/, "must be a room id")
          .meta({
            description:
              "The alert room. Invite the alert bot there; moderators read and command it.",
            examples: ["!alerts:example.org"],
          }),
        access_token_file: z.string().meta({
          description: "Access token of the alert bot (a normal, non-admin account).",
          examples: ["./secrets/alert-bot-token"],
        }),
        include_room_id: z
          .boolean()
          .default(false)
          .describe(
            "Put room ids into alerts. Off: the alert room must not become a directory of abuse.",
          ),
        invite_summary_interval: duration(
          "1m",
          "Refused invites are reported in one message per interval.",
        ),
        commands: z
          .boolean()
          .default(true)
          .describe("Accept `!redlight unfreeze @user:server` from members with power level ≥ 50."),
      })
      .optional()
      .describe("The alert room; without it the guard only logs."),
    reports: z
      .strictObject({
        poll_interval: duration(
          "2s",
          "How often Synapse's event and user report admin APIs are read; a report reaches the alert room within about this time.",
        ),
        escalation_poll_interval: duration(
          "1m",
          "How often the provider is asked how escalated reports stand.",
        ),
      })
      .optional()
      .describe(
        "Reports into the alert room, moderators' report commands and escalation to the provider (docs/reports.md). Reading Synapse's reports needs admin_token_file.",
      ),
    messages: z
      .strictObject({
        default_language: z.string().default("en").describe("Language of the `error` text."),
        join_refused: translations(
          "You cannot join this room. If you think this is a mistake, contact your homeserver's administrators.",
          "Shown when a join is refused. Reveals nothing about the list.",
        ),
        account_restricted: translations(
          "Your account cannot join rooms at the moment. Please contact your homeserver's administrators.",
          "Shown to a frozen account.",
        ),
        invite_refused: translations(
          "This invite was refused by the server's safety rules.",
          "Shown to the inviter when an invite is refused.",
        ),
        rate_limited: translations(
          "Too many attempts. Please wait a moment and try again.",
          "Shown when the lookup service rate-limits the user or server.",
        ),
        unavailable: translations(
          "This action is temporarily unavailable. Please try again later.",
          "Shown when a fail mode is `closed` and the lookup service cannot be reached.",
        ),
        publish_refused: translations(
          "This room cannot be published in the room directory.",
          "Shown when publishing a room in the directory is refused.",
        ),
        search_redirected: translations(
          "No results are available for this search.",
          "Shown instead of results when a directory search matches a term list without its own `messages`.",
        ),
        remote_search_failed: translations(
          "The other server did not answer this search.",
          "Replaces the error text of an untrusted server whose directory a user searched.",
        ),
        directory_unavailable: translations(
          "The room directory is not available right now. Please try again later.",
          "Shown when the homeserver does not answer the directory proxy (502, 504), or its term matching is saturated (503).",
        ),
      })
      .refine(
        (m) =>
          [
            m.join_refused,
            m.account_restricted,
            m.invite_refused,
            m.rate_limited,
            m.unavailable,
            m.publish_refused,
            m.search_redirected,
            m.remote_search_failed,
            m.directory_unavailable,
          ].every((texts) => texts[m.default_language] !== undefined),
        { message: "every message needs a text in default_language" },
      )
      .prefault({})
      .describe(
        "Texts users see, by language (MSC4176 `messages`); `error` uses default_language, or Accept-Language where the guard answers a client itself.",
      ),
    terms: termsSchema,
    directory: directorySchema,
    client_proxy: clientProxySchema,
    sweep: z
      .strictObject({
        interval: duration(
          "10m",
          "How often the guard sweeps (also at start and when the list changes).",
        ),
        reject_pending_invites: z
          .boolean()
          .default(true)
          .describe(
            "Reject local users' pending invites to listed rooms, and to rooms whose name or topic matches `guard.terms`.",
          ),
        members_of_listed_rooms: z
          .array(z.enum(["alert", "evict", "block", "purge", "quarantine_media"]))
          .default(["alert"])
          .describe(
            "What to do when local users are members of a listed room: `alert` (always), and each opt-in: `evict` (make them leave), `block` (no local user can join again), `purge` (shut the room down and purge it), `quarantine_media`.",
          ),
      })
      .optional()
      .describe(
        "Sweeps of pending invites and members of listed rooms (docs/sweeps.md); needs admin_token_file and the lookup token's `directory` scope. Absent: no sweeps (`sweep: {}` turns them on with these defaults).",
      ),
    text_check_key_file: z
      .string()
      .optional()
      .meta({
        description:
          "Bearer key of POST /_policyserv/v1/check/text (what Synapse's proposed `safety_policy` sends). Absent: no text check.",
        examples: ["./secrets/text-check-key"],
      }),
  })
  .refine(
    (g) =>
      g.terms.every(
        (list) =>
          list.messages === undefined || list.messages[g.messages.default_language] !== undefined,
      ),
    {
      message: "every term list's messages need a text in guard.messages.default_language",
      path: ["terms"],
    },
  )
  .refine((g) => g.lookup !== undefined || g.policy_rooms !== undefined, {
    message: "the guard needs `lookup`, `policy_rooms`, or both",
    path: ["lookup"],
  })
  .describe(
    "The guard: Synapse join, invite and publish gate and room directory guard (docs/guard.md). Absent: no guard.",
  );
