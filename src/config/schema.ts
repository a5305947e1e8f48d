/**
 * The one config schema: types, defaults, validation, the example file and docs/config.md
 * all come from here (STYLE.md "Config and data"). Unknown keys are rejected, so typos fail
 * loudly. Relative paths are resolved against the config file's folder by `load.ts`.
 */
import { z } from "zod";
import { parseDuration } from "../core/duration.js";

/**
 * A duration such as "10s", "5m", "7d". Kept as validated text in the config (zod drops
 * defaults from the generated docs around transforms); read it with `durationMs`.
 */
const duration = (fallback: string, description: string) =>
  z
    .string()
    .refine((text) => parseDuration(text).ok, {
      message: "must be a duration like 500ms, 10s, 5m, 24h or 7d",
    })
    .default(fallback)
    .describe(description);

/** Milliseconds of a duration the schema has validated. */
export function durationMs(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(`unvalidated duration ${text}`);
  return parsed.value;
}

/** host:port, IPv6 in brackets. */
const listenAddress = (fallback: string, description: string) =>
  z
    .string()
    .regex(
      /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
      "must be host:port, e.g. 127.0.0.1:8480",
    )
    .default(fallback)
    .describe(description);

const quota = (requests: number, per: string, description: string) =>
  z
    .strictObject({
      requests: z
        .number()
        .int()
        .positive()
        .default(requests)
        .describe("Requests allowed per window."),
      per: duration(per, "Length of the window."),
    })
    .prefault({})
    .describe(description);

const sourceSchema = z
  .strictObject({
    file: z.string().optional().describe("Path of a list file in the rdlist JSON shape."),
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("HTTP(S) URL serving the list."),
    bearer_token_file: z
      .string()
      .optional()
      .describe("File holding the bearer token sent to `url`."),
    encryption_key_file: z
      .string()
      .optional()
      .describe("Key file: the list is encrypted at rest (see `redlight list encrypt`)."),
    refresh: duration("5m", "How often to reload this source."),
  })
  .refine((s) => (s.file === undefined) !== (s.url === undefined), {
    message: "a source needs exactly one of `file` or `url`",
  });

const lookupSchema = z
  .strictObject({
    listen: listenAddress("127.0.0.1:8480", "Address of the LJS-4 API."),
    metrics_listen: listenAddress(
      "127.0.0.1:9480",
      "Address of the operations endpoint: Prometheus /metrics and POST /admin/reload. Keep it private.",
    ),
    filtered_tags: z
      .array(z.string().min(1))
      .min(1)
      .default(["csam"])
      .describe(
        "Content tags this server filters. A room matches when any of its tags is filtered.",
      ),
    trusted_proxies: z
      .array(z.string())
      .default([])
      .describe(
        "CIDRs of reverse proxies whose X-Forwarded-For is believed for client address checks.",
      ),
    sources: z
      .array(sourceSchema)
      .meta({
        description: "Where the source list comes from; several sources are merged.",
        examples: [
          [{ file: "./list.json.enc", encryption_key_file: "./secrets/list.key", refresh: "5m" }],
        ],
      })
      .default([]),
    freeze: z
      .strictObject({
        threshold: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe("Hits on listed rooms that freeze a user."),
        window: duration("7d", "Hits older than this no longer count."),
        repeat_grace: duration(
          "10s",
          "Repeat hits on the same report within this time count once.",
        ),
      })
      .prefault({})
      .describe("Account freezes (spec: 'Account Freezes')."),
    rate_limits: z
      .strictObject({
        client: quota(6000, "1m", "Lookups per client homeserver (all its users together)."),
        user: quota(30, "1m", "Lookups per user pseudonym of a client."),
        bad_token: quota(
          10,
          "1m",
          "Failed authentications per source address before it is throttled.",
        ),
      })
      .prefault({})
      .describe(
        "Request quotas; see docs/abuse-controls.md for the reasoning behind the defaults.",
      ),
    sync_interval: duration(
      "2s",
      "How often clients, freezes and quota counts are re-read from the database (shared between processes).",
    ),
    audit_retention: duration(
      "90d",
      "Audit records (hits, freezes, client changes) older than this are deleted.",
    ),
  })
  .prefault({})
  .describe("The lookup service (the spec's Redlight server).");

// ---- The guard (issue 3): Synapse's join and invite gate, beside a homeserver. ----

const failMode = (description: string) =>
  z.enum(["open", "closed"]).default("open").describe(description);

/** Language tag (RFC 5646, `_` allowed for `-` as MSC4176 does) → message text. */
const translations = (english: string, description: string) =>
  z
    .record(
      z.string().regex(/^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$/, "must be a language tag"),
      z.string().min(1).max(1000),
    )
    .default({ en: english })
    .describe(description);

const termListSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .describe("Name of the list, shown in alerts and metrics (never the term)."),
  harms: z
    .array(z.string().min(1))
    .default([])
    .describe("MSC4456 harm ids of a match, e.g. `m.spam`."),
  terms_file: z
    .string()
    .describe("File with one term per line (`#` starts a comment). No terms ship with Redlight."),
  format: z
    .enum(["plain", "sha256"])
    .default("plain")
    .describe("`sha256`: the file holds digests from `hashTerm`, so the list is not in clear."),
  max_words: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(4)
    .describe("Longest hashed term in words (format sha256 only)."),
  allow_file: z
    .string()
    .optional()
    .describe("File of phrases that excuse a match inside them (one per line, plain)."),
});

const guardSchema = z
  .strictObject({
    listen: listenAddress("127.0.0.1:8481", "Address of the antispam callbacks, /health, /ready."),
    metrics_listen: listenAddress(
      "127.0.0.1:9481",
      "Address of Prometheus /metrics and POST /admin/unfreeze (used by the CLI). Keep it private.",
    ),
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
      })
      .describe("The lookup service the guard asks."),
    fail_mode: z
      .strictObject({
        user_may_join_room: failMode(
          "When the lookup service is unreachable: allow or refuse joins.",
        ),
        user_may_invite: failMode("The same for invites by local users."),
        federated_user_may_invite: failMode("The same for invites from other servers."),
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
        term_lists: z
          .array(termListSchema)
          .default([])
          .describe("Term lists matched against the invite's room name and topic."),
      })
      .prefault({})
      .describe("Invite policy (user_may_invite, federated_user_may_invite)."),
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
      })
      .refine(
        (m) =>
          [
            m.join_refused,
            m.account_restricted,
            m.invite_refused,
            m.rate_limited,
            m.unavailable,
          ].every((texts) => texts[m.default_language] !== undefined),
        { message: "every message needs a text in default_language" },
      )
      .prefault({})
      .describe("Refusal texts by language (MSC4176 `messages`); `error` uses default_language."),
  })
  .describe("The guard: Synapse join and invite gate (docs/guard.md). Absent: no guard.");

/** The whole configuration file. */
export const configSchema = z
  .strictObject({
    database: z
      .string()
      .refine((d) => d.startsWith("sqlite:") || /^postgres(ql)?:\/\//.test(d), {
        message: "must start with sqlite: or postgres://",
      })
      .default("sqlite:./data/redlight.db")
      .describe("`sqlite:PATH` (default, relative to the config file) or `postgres://…`."),
    log_level: z
      .enum(["fatal", "error", "warn", "info", "debug"])
      .default("info")
      .describe("Minimum level of the JSON logs on stderr."),
    lookup: lookupSchema,
    guard: guardSchema.optional(),
  })
  .describe("Redlight configuration.");

/** A validated configuration (durations in ms, defaults filled in). */
export type Config = z.output<typeof configSchema>;
/** The lookup section. */
export type LookupConfig = Config["lookup"];
/** One list source. */
export type SourceConfig = LookupConfig["sources"][number];
/** The guard section (present only when the guard is configured). */
export type GuardConfig = NonNullable<Config["guard"]>;
