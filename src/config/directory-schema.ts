/**
 * The config of the guard's term lists (`guard.terms`, shared by the invite gate, the
 * publish gate, the room directory and the text check) and of the room directory guard
 * (`guard.directory`). Part of the one schema (schema.ts).
 */
import { basename, extname } from "node:path";
import { z } from "zod";
import { duration, messageTexts } from "./fields.js";

const LIST_ID = /^[A-Za-z0-9._-]{1,64}$/;
// MSC4456 harm ids: `m.child_safety.csam`, `m.other`, unstable `org.matrix.msc4456.spam`.
const HARM_ID = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

/** One operator term list. */
export const termListSchema = z
  .strictObject({
    id: z
      .string()
      .regex(LIST_ID)
      .optional()
      .describe(
        "Name of the list in alerts and metrics (never a term). Default: the file name without its extension.",
      ),
    file: z.string().meta({
      description:
        "One term per line (`#` starts a comment), or digests from `redlight guard hash-terms` with `format: sha256` or `hmac-sha256`. No terms ship with Redlight.",
      examples: ["./terms.txt"],
    }),
    format: z
      .enum(["plain", "sha256", "hmac-sha256"])
      .default("plain")
      .describe(
        "`sha256`: the file holds unkeyed digests — not in clear, but anyone holding the file can recover the terms by hashing a dictionary. `hmac-sha256`: digests keyed with `key_file` (`redlight guard hash-terms --key-file`); without the key the file reveals nothing. Use it for any list that is shared.",
      ),
    key_file: z
      .string()
      .optional()
      .describe(
        "The HMAC key of a `format: hmac-sha256` list: a file of at least 16 bytes (its trailing newline ignored), e.g. from `openssl rand -hex 32`. Keep it apart from the list.",
      ),
    max_words: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(4)
      .describe("Longest hashed term in words (hashed formats only)."),
    allow_file: z
      .string()
      .optional()
      .describe("File of phrases that excuse a match inside them (one per line, plain)."),
    harms: z
      .array(z.string().max(255).regex(HARM_ID, "must be an MSC4456 harm id such as m.spam"))
      .default([])
      .describe(
        "MSC4456 harm ids a match reports, e.g. `m.child_safety.csam` (sent as `harms` and `org.matrix.msc4387.harms`).",
      ),
    messages: messageTexts()
      .optional()
      .describe(
        "Help text shown instead of search results when this list matches, by language (MSC4176). Default: `guard.messages.search_redirected`.",
      ),
  })
  .refine((list) => (list.format === "hmac-sha256") === (list.key_file !== undefined), {
    message: "key_file is required with format: hmac-sha256, and only allowed with it",
    path: ["key_file"],
  });

/** A configured term list. */
export type TermListConfig = z.output<typeof termListSchema>;

/** The id of a term list: its `id`, or its file name without extension. */
export function termListId(list: { readonly id?: string | undefined; readonly file: string }) {
  if (list.id !== undefined) return list.id;
  const name = basename(list.file, extname(list.file)).replace(/[^A-Za-z0-9._-]/g, "-");
  return name.slice(0, 64) || "terms";
}

/** `guard.terms`. */
export const termsSchema = z
  .array(termListSchema)
  .refine((lists) => new Set(lists.map(termListId)).size === lists.length, {
    message: "term list ids must be unique (set `id` when two files share a name)",
  })
  .default([])
  .meta({
    description:
      "Term lists, in priority order: matched against directory searches, the names and topics of rooms in the directory, of invites and of rooms being published, and by the text check.",
    examples: [
      [
        {
          file: "./terms.txt",
          harms: ["m.child_safety.csam"],
          messages: {
            en: "No results are available for this search. Confidential help is available: https://help.example.org",
            fr: "Aucun résultat n'est disponible pour cette recherche. Une aide confidentielle existe : https://help.example.org",
          },
        },
      ],
    ],
  });

/** `guard.directory`. */
export const directorySchema = z
  .strictObject({
    style: z
      .enum(["msc4228", "msc4387"])
      .default("msc4387")
      .describe(
        "Answer to a redirected search: `msc4387` (400 ORG.MATRIX.MSC4387_SAFETY) or `msc4228` (403 M_FORBIDDEN).",
      ),
    mode: z
      .enum(["open", "curated"])
      .default("open")
      .describe("`curated`: only the rooms in curated_rooms are shown."),
    curated_rooms: z
      .array(z.string().regex(/^[!#].+/, "must be a room id (!…) or an alias (#…)"))
      .default([])
      .describe(
        "Curated mode: room ids and aliases shown; a space also shows its children (resolving those needs admin_token_file).",
      ),
    curated_refresh: duration(
      "5m",
      "How often the aliases and spaces of curated_rooms are resolved again.",
    ),
    trusted_servers: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Servers whose error text, when a user searches their directory (`server=`), reaches users unchanged; others' is replaced.",
      ),
    federation_url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({
        description:
          "Where federation publicRooms requests are forwarded (Synapse's federation listener). Default: homeserver_url.",
        examples: ["http://127.0.0.1:8008"],
      }),
    upstream_timeout: duration(
      "20s",
      "Deadline for the homeserver's whole answer; then 504. Keep it below the reverse proxy's own timeout.",
    ),
    max_response_bytes: z
      .number()
      .int()
      .min(65_536)
      .default(16 * 1024 * 1024)
      .describe("Largest homeserver answer the proxy reads (it must read a page to filter it)."),
    fail_mode: z
      .enum(["hide", "show"])
      .default("hide")
      .describe(
        "Rooms the lookup service cannot check now and that have no verdict younger than stale_verdict_ttl: hidden or shown. Either way the alert room hears of the outage.",
      ),
    verdict_ttl: duration("5m", "How long a room's directory verdict (listed or not) is reused."),
    max_checks_per_minute: z
      .number()
      .int()
      .min(100)
      .default(3_000)
      .describe(
        "Most room hashes the directory asks the lookup service per minute (they count against its directory quota, 3,600 a minute by default, and the client quota joins use too); beyond it rooms count as unchecked.",
      ),
    stale_verdict_ttl: duration(
      "24h",
      "While the lookup service does not answer, verdicts up to this old are still used.",
    ),
    page_token_ttl: duration(
      "1h",
      "How long a paging token (next_batch, prev_batch) the directory proxy hands a client stays valid. The tokens are sealed under a key made at start, so a restart ends them too.",
    ),
    max_page_text: z
      .number()
      .int()
      .min(4096)
      .default(32_768)
      .describe(
        'Most characters of room names, topics and aliases matched against the term lists for one page (rooms remembered from earlier pages cost nothing). Rooms beyond it follow fail_mode and count in directory_rooms_filtered_total{reason="text_budget"}.',
      ),
    refill_pages: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe(
        "Client API: when filtering leaves a page short, fetch up to this many following pages to fill it.",
      ),
    report_interval: duration(
      "10m",
      "Rooms newly hidden from the directory are reported to the alert room once per interval, in aggregate.",
    ),
  })
  .optional()
  .describe(
    "The room directory guard on the client-API proxy (docs/directory.md). Absent: the proxy does not serve publicRooms.",
  );
