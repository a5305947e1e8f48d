/**
 * The one config schema: types, defaults, validation, the example file and docs/config.md
 * all come from here (STYLE.md "Config and data"). Unknown keys are rejected, so typos fail
 * loudly. Relative paths are resolved against the config file's folder by `load.ts`.
 */
import { z } from "zod";
import { duration, listenAddress } from "./fields.js";
import { guardSchema } from "./guard-schema.js";
import { privateLookupSchema } from "./private-lookup-schema.js";
import { policyRoomSourceSchema } from "./policy-room-schema.js";

export { durationMs } from "./fields.js";

const quota = (requests: number, per: string, description: string, unit = "Requests") =>
  z
    .strictObject({
      requests: z
        .number()
        .int()
        .positive()
        .default(requests)
        .describe(`${unit} allowed per window.`),
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
    policy_room: policyRoomSourceSchema.optional(),
    refresh: duration("5m", "How often to reload this source."),
  })
  .refine((s) => [s.file, s.url, s.policy_room].filter((x) => x !== undefined).length === 1, {
    message: "a source needs exactly one of `file`, `url` or `policy_room`",
  });

const lookupSchema = z
  .strictObject({
    listen: listenAddress("127.0.0.1:8480", "Address of the LJS-4 API."),
    metrics_listen: listenAddress(
      "127.0.0.1:9480",
      "Address of the operations endpoint: Prometheus /metrics and POST /admin/reload. Keep it private.",
    ),
    operations_token_file: z
      .string()
      .optional()
      .meta({
        description:
          "File holding the bearer token of POST /admin/reload (read by `redlight list reload` too). Absent: the reload endpoint is off (SIGHUP still reloads).",
        examples: ["./secrets/operations-token"],
      }),
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
        directory: quota(
          3600,
          "1m",
          "Room hashes per client in batch checks (the `directory` scope), on top of the client quota they also count against.",
          "Room hashes",
        ),
        report: quota(30, "1h", "Rooms a client may report up per window (the `report` scope)."),
      })
      .prefault({})
      .describe(
        "Request quotas; see docs/abuse-controls.md for the reasoning behind the defaults.",
      ),
    check_enumeration: z
      .strictObject({
        window: duration("10m", "Batch checks of a client are judged per window of this length."),
        min_new_hashes: z
          .number()
          .int()
          .positive()
          .default(100)
          .describe("New hashes a window needs before its listed share is judged."),
        listed_share: z
          .number()
          .positive()
          .max(1)
          .default(0.2)
          .describe("Share of listed hashes among new ones above which the signal fires."),
        new_hashes: z
          .number()
          .int()
          .positive()
          .max(200_000)
          .default(10_000)
          .describe(
            "New hashes (not asked in this window or the client's last one) in one window at which the signal fires, from a client's second window on; also sizes the in-memory filters.",
          ),
      })
      .prefault({})
      .describe(
        "When a client's batch checks look like enumeration of the list: a metric and a warning (docs/abuse-controls.md).",
      ),
    reports: z
      .strictObject({
        encryption_key_file: z.string().meta({
          description:
            "The list key (`redlight list keygen`): seals reported room ids and reasons in the review queue and encrypts `list_file`.",
          examples: ["./secrets/list.key"],
        }),
        list_file: z.string().meta({
          description:
            "Encrypted list the accepted reports are written to (`redlight reports accept`); read as one more list source.",
          examples: ["./reports.json.enc"],
        }),
        refresh: duration("1m", "How often the lookup service re-reads `list_file`."),
      })
      .optional()
      .meta({
        description:
          "The review queue of rooms clients report up (`POST /_matrix/loj/v1/report`, docs/reports.md). Absent: reports are refused.",
        examples: [{ encryption_key_file: "./secrets/list.key", list_file: "./reports.json.enc" }],
      }),
    sync_interval: duration(
      "2s",
      "How often clients, freezes and quota counts are re-read from the database (shared between processes).",
    ),
    dashboard: z
      .strictObject({
        listen: listenAddress(
          "127.0.0.1:8483",
          "Address of the provider's dashboard (docs/dashboard.md).",
        ),
        admin_token_file: z.string().meta({
          description:
            "File holding the dashboard's admin token (plain, or `sha256:<hex>` of it); compared in constant time.",
          examples: ["./secrets/dashboard-admin-token"],
        }),
        session_ttl: duration("8h", "A dashboard session ends this long after login."),
      })
      .optional()
      .describe(
        "The provider's dashboard: clients (revoke, rotate), list health, freezes per client. Absent: off.",
      ),
    audit_retention: duration(
      "90d",
      "Audit records (hits, freezes, client changes) older than this are deleted.",
    ),
    private_lookup: privateLookupSchema.optional(),
  })
  .prefault({})
  .describe("The lookup service (the spec's Redlight server).");

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
