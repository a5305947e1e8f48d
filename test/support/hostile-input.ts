/**
 * fast-check arbitraries for hostile requests to the lookup service: bodies that are almost
 * right, plainly wrong, truncated, deeply nested, huge, invalid UTF-8 or odd Unicode, with
 * duplicated keys; tokens in every place; odd content types, methods and headers.
 * Synthetic ids and benign words only.
 */
import fc from "fast-check";
import { ljs4Hash } from "../../src/core/hash.js";
import { cleanRoom, listedRoom } from "./lookup-fixture.js";

/** Real hashes: some listed rooms, some clean ones, a few users. */
export function realHashes(listed: number): string[] {
  const rooms = Array.from({ length: Math.min(listed, 8) }, (_, i) => ljs4Hash(listedRoom(i + 1)));
  const clean = [1, 2, 3].map((n) => ljs4Hash(cleanRoom(n)));
  const users = ["@fuzz-a:example.org", "@fuzz-b:example.org"].map(ljs4Hash);
  return [...rooms, ...clean, ...users];
}

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

/** Values that look like a hash but are not quite one. */
const almostHash = (real: readonly string[]) =>
  fc.oneof(
    fc.constantFrom(...real).map((h) => h.toUpperCase()),
    fc.constantFrom(...real).map((h) => h.slice(0, 63)),
    fc.constantFrom(...real).map((h) => `${h}0`),
    fc.constantFrom(...real).map((h) => ` ${h}`),
    fc.constantFrom(...real).map((h) => `${h}\n`),
    fc.constantFrom(...real).map((h) => h.replace(/[0-9]/, "\uff10")), // fullwidth digit
    fc.constantFrom(...real).map((h) => `${h.slice(0, 32)}\u0000${h.slice(33)}`),
    fc.constantFrom(...real).map((h) => h.replace(/a/g, "\u0430")), // Cyrillic a
    fc.stringMatching(/^[0-9a-fA-Fg-z]{60,68}$/),
  );

const hugeString = fc
  .tuple(
    fc.constantFrom("a", "0", "\u00e9", "\u{1f600}", "\\", '"', " "),
    fc.integer({ min: 500, max: 3000 }),
  )
  .map(([c, n]) => c.repeat(n));

const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 5e-324),
  fc.double(),
  fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map((b) => Number(b)),
);

/** One field's value: a real hash, an almost-hash, any JSON, huge things. */
export const fieldValue = (real: readonly string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...real) },
    { weight: 2, arbitrary: hex64 },
    { weight: 3, arbitrary: almostHash(real) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: hugeString },
    { weight: 1, arbitrary: hugeNumber },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 80 }) },
  );

/** Tokens the attacker may put in the body: the real one, look-alikes, wrong types. */
export const bodyToken = (token: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(token),
    fc.constant(token.slice(0, 39)),
    fc.constant(`${token.slice(0, 39)}${token[39] === "a" ? "b" : "a"}`),
    fc.stringMatching(/^[A-Za-z0-9]{40}$/),
    fc.constant(""),
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: "binary", maxLength: 60 }),
  );

/** Where the token goes: header and/or body, right or wrong. */
export interface Credentials {
  readonly header: string | undefined;
  readonly body: { present: false } | { present: true; value: unknown };
}

/** The Authorization headers fetch can carry (latin-1 only; raw requests cover the rest). */
export const credentials = (token: string): fc.Arbitrary<Credentials> => {
  const header = fc.oneof(
    fc.constant(undefined),
    { weight: 8, arbitrary: fc.constant(`Bearer ${token}`) },
    fc.constant(`bearer   ${token}  `),
    fc.constant(`Bearer ${token} extra`),
    fc.constant("Bearer"),
    fc.constant(`Basic ${Buffer.from(`u:${token}`).toString("base64")}`),
    fc.stringMatching(/^[A-Za-z0-9]{40}$/).map((t) => `Bearer ${t}`),
    fc.string({ unit: "grapheme-ascii", maxLength: 60 }).map((s) => `Bearer ${s}`.trim()),
  );
  const body = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ present: false as const }) },
    bodyToken(token).map((value) => ({ present: true as const, value })),
  );
  return fc.record({ header, body });
};

/** Bodies as text for a JSON endpoint whose fields are `fields`. */
export function jsonishBody(
  fields: Readonly<Record<string, fc.Arbitrary<unknown>>>,
  valid: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<Buffer> {
  const object = fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));
  const validText = valid.map((v) => JSON.stringify(v));
  const text = fc.oneof(
    { weight: 4, arbitrary: validText },
    { weight: 6, arbitrary: object.map((o) => JSON.stringify(o)) },
    // Truncated valid JSON.
    { weight: 2, arbitrary: fc.tuple(validText, fc.nat()).map(([t, n]) => truncate(t, n)) },
    // Duplicated keys: which one wins must not matter for safety.
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.jsonValue({ maxDepth: 1 }), fc.boolean())
        .map(([v, i, other, first]) => {
          const names = Object.keys(v);
          const key = JSON.stringify(names[i % names.length]);
          const body = JSON.stringify(v).slice(1, -1);
          const dup = `${key}:${JSON.stringify(other)}`;
          return first ? `{${dup},${body}}` : `{${body},${dup}}`;
        }),
    },
    // Deep nesting, in a field or as the whole body.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 100, max: 1900 }), fc.constantFrom("[", '{"a":'), fc.boolean())
        .map(([depth, open, inField]) => {
          const close = open === "[" ? "]" : "}";
          const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
          return inField ? `{"room_id_hash":${nested}}` : nested;
        }),
    },
    // Odd Unicode around valid JSON: BOM, lone surrogate escapes, direction overrides.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom("\ufeff", "\u202e", "\u200b", "\u0000", "\\ud800", "\\udfff"),
          validText,
        )
        .map(([odd, body]) => {
          return odd.startsWith("\\") ? body.replace(/":"/, `":"${odd}`) : `${odd}${body}`;
        }),
    },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom("", " ", "null", "[]", "{}", "true", "1e999", '"x"') },
  );
  const bytes = fc.oneof(
    { weight: 10, arbitrary: text.map((t) => Buffer.from(t, "utf8")) },
    // Invalid UTF-8 bytes inside an otherwise valid body, or pure random bytes.
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]),
          fc.nat(),
          validText,
        )
        .map(([bad, at, text]) => {
          const body = Buffer.from(text, "utf8");
          const i = at % body.length;
          return Buffer.concat([body.subarray(0, i), Buffer.from(bad), body.subarray(i)]);
        }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  );
  return bytes;
}

function truncate(text: string, n: number): string {
  return text.slice(0, n % Math.max(1, text.length));
}

/** Content types: none, right, wrong, malformed. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(undefined, "application/json") },
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    ";;",
    "",
    "application/json; charset=",
    "*/*",
  ),
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
);

/** Methods, the odd ones included (fetch cannot send CONNECT/TRACE/TRACK). */
export const method = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
  },
  { weight: 1, arbitrary: fc.constantFrom("PROPFIND", "SEARCH", "MKCOL", "PURGE", "LOCK") },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{2,10}$/) },
);

/** Extra headers fetch can carry (undici refuses `expect`; raw requests send it). */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom(
    "x-forwarded-for",
    "forwarded",
    "x-real-ip",
    "accept",
    "accept-encoding",
    "content-encoding",
    "origin",
    "x-matrix",
    "cookie",
  ),
  fc.oneof(
    fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
    fc.constantFrom("gzip", "deflate", "203.0.113.9", "::1, 10.0.0.1"),
  ),
  { maxKeys: 3 },
);
