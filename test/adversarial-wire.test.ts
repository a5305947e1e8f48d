/**
 * Hostile HTTP below the JSON, fuzzed: raw bytes on a socket — made-up and
 * forbidden methods, bad framing, invalid UTF-8 and control bytes in headers, odd paths and
 * versions. Every answer is an LJS-4 error with a documented status, or a documented
 * success; no 5xx, no silence. Named cases and slow bodies: adversarial-limits.test.ts.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { problemsOf, Tally, type Answer } from "./support/answer-check.js";
import {
  cleanRoom,
  listedRoom,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";
import { rawRequest, requestBytes, type RawResponse } from "./support/raw-http.js";

const SCALE = Number(process.env.REDLIGHT_FUZZ_SCALE ?? "1");
const LOOKUP = "/_matrix/loj/v1/abuse_lookup";
const SURFACES: Record<string, string> = {
  [LOOKUP]: "abuse_lookup",
  "/_matrix/loj/v1/unfreeze": "unfreeze",
  "/_matrix/loj/v1/check": "check",
  "/health": "health",
  "/ready": "ready",
};
let fx: LookupFixture;
let token: string;
const tally = new Tally();

beforeAll(async () => {
  fx = await startLookupFixture({
    clients: [{ name: "hs1", scopes: ["directory"] }],
    lookup: { rate_limits: { bad_token: { requests: 1_000_000, per: "1m" } } },
  });
  token = fx.tokens.hs1 as string;
});
afterAll(async () => {
  console.log(`adversarial-wire: ${tally.toString()}`);
  await fx?.stop();
});

const answerOf = (r: RawResponse): Answer => ({
  status: r.status,
  contentType: r.headers["content-type"],
  body: r.body,
});
const send = async (bytes: Buffer, head = false, base = fx.handle.apiUrl) => {
  const r = await rawRequest(base, bytes, { head, timeoutMs: 5_000 });
  tally.add(r.status);
  return r;
};
const lookupBody = (room = cleanRoom(1)) =>
  Buffer.from(
    JSON.stringify({ room_id_hash: ljs4Hash(room), user_id_hash: ljs4Hash("@wire:example.org") }),
  );
const surfaceOf = (path: string) =>
  SURFACES[path.replace(/^https?:\/\/[^/]+/, "").replace(/[?#].*$/, "")];

function expectFine(r: RawResponse, surface: string | undefined, head: boolean, what: string) {
  const problems = problemsOf(answerOf(r), surface, head);
  if (problems.length > 0) throw new Error(`${problems.join("; ")}\nrequest: ${what}`);
}

describe("raw protocol fuzzing", () => {
  const method = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS") },
    { weight: 1, arbitrary: fc.constantFrom("CONNECT", "TRACE", "PROPFIND", "get", "P UT", "") },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,12}$/) },
  );
  const path = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...Object.keys(SURFACES)) },
    fc.constantFrom("*", "/", "/%", "/%zz", "//health", "/health?%", "/health#x", "/\t/"),
    fc.constantFrom("http://example.org/health", `${LOOKUP}/..`, `/${"a".repeat(3000)}`),
    fc.stringMatching(/^\/[ -~]{0,40}$/),
  );
  const version = fc.oneof(
    { weight: 6, arbitrary: fc.constant("HTTP/1.1") },
    fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1 x", "HTTP/1", ""),
  );
  const headerName = fc.oneof(
    fc.constantFrom("authorization", "content-type", "x-forwarded-for", "upgrade", "expect"),
    fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/),
    fc.constantFrom("bad name", "bad:name", "", "\u00e9"),
  );
  const headerValue = fc.oneof(
    fc.stringMatching(/^[ -~]{0,40}$/).map((s) => Buffer.from(s, "latin1")),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), // CR, LF, NUL, 0x80-0xff
    fc.constantFrom(`Bearer ${"x".repeat(40)}`, "100-continue", "websocket", "chunked"),
  );
  const auth = fc.oneof(
    fc.constant([]),
    fc.constant([["authorization", `Bearer ${"?"}`]]),
    fc.constant("token").map(() => [["authorization", `Bearer ${token}`]]),
    fc
      .uint8Array({ maxLength: 50 })
      .map((b) => [["authorization", Buffer.concat([Buffer.from("Bearer "), Buffer.from(b)])]]),
  );
  const framing = fc.constantFrom(
    "none",
    "exact",
    "exact",
    "chunked",
    "bad-chunk",
    "cl+te",
    "dup-cl",
    "neg-cl",
    "huge-cl",
    "over-limit-cl",
  );
  const body = fc.oneof(
    fc.constant(null).map(() => lookupBody(listedRoom(1))),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  );

  function frame(kind: string, data: Buffer): { headers: [string, string][]; body: Buffer } {
    const cl = String(data.length);
    const chunked = Buffer.concat([
      Buffer.from(`${data.length.toString(16)}\r\n`),
      data,
      Buffer.from("\r\n0\r\n\r\n"),
    ]);
    switch (kind) {
      case "exact":
        return { headers: [["content-length", cl]], body: data };
      case "chunked":
        return { headers: [["transfer-encoding", "chunked"]], body: chunked };
      case "bad-chunk":
        return { headers: [["transfer-encoding", "chunked"]], body: Buffer.from("zz\r\nab\r\n") };
      case "cl+te":
        return {
          headers: [
            ["content-length", cl],
            ["transfer-encoding", "chunked"],
          ],
          body: chunked,
        };
      case "dup-cl":
        return {
          headers: [
            ["content-length", cl],
            ["content-length", "1"],
          ],
          body: data,
        };
      case "neg-cl":
        return { headers: [["content-length", "-1"]], body: data };
      case "huge-cl":
        return { headers: [["content-length", "99999999999999999999"]], body: data };
      case "over-limit-cl":
        return { headers: [["content-length", "1000000"]], body: data };
      default:
        return { headers: [], body: data };
    }
  }

  it("answers every raw request with a documented answer", async () => {
    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        version,
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
        auth,
        framing,
        body,
        fc.boolean(),
        async (m, p, v, extra, credentials, kind, data, host) => {
          const framed = frame(kind, data);
          const line = Buffer.from(`${m} ${p} ${v}\r\n`, "latin1");
          const headers = [
            ...(host ? [["host", "lookup.example.org"] as [string, string]] : []),
            ...(credentials as [string, string | Buffer][]),
            ...extra,
            ...framed.headers,
            ["connection", "close"] as [string, string],
          ];
          const bytes = Buffer.concat([
            line,
            requestBytes("X", "/", headers, framed.body).subarray(
              Buffer.from("X / HTTP/1.1\r\n").length,
            ),
          ]);
          const head = m === "HEAD";
          const r = await send(bytes, head);
          const what = JSON.stringify(bytes.toString("latin1").slice(0, 400));
          // A success must be the one the path documents; errors must have the LJS-4 shape.
          expectFine(r, surfaceOf(p), head, what);
        },
      ),
      { numRuns: Math.round(1500 * SCALE) },
    );
    expect((await fetch(`${fx.handle.apiUrl}/health`)).status).toBe(200);
  }, 60_000);
});
