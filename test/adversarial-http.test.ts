/**
 * Hostile input on every HTTP surface of the lookup service, fuzzed with
 * fast-check over real HTTP: abuse_lookup, unfreeze, check, /health, /ready on the API
 * listener; /metrics, /admin/reload and unknown paths on the operations listener. Every
 * answer must be a documented success or an LJS-4 error whose status matches docs/errors.md:
 * no 5xx, no internals, no crash. Protocol-level abuse is in adversarial-wire.test.ts.
 *
 * REDLIGHT_FUZZ_SCALE multiplies the number of cases (default 1: about 4,000 requests).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemsOf, Tally, type Answer } from "./support/answer-check.js";
import {
  contentType,
  credentials,
  extraHeaders,
  fieldValue,
  jsonishBody,
  method,
  realHashes,
  type Credentials,
} from "./support/hostile-input.js";
import {
  listedRoom,
  readLog,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";

const SCALE = Number(process.env.REDLIGHT_FUZZ_SCALE ?? "1");
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const UNLIMITED = { requests: 1_000_000_000, per: "1m" };

let fx: LookupFixture;
let token: string;
let real: string[];
const tally = new Tally();

beforeAll(async () => {
  fx = await startLookupFixture({
    rooms: 20,
    clients: [{ name: "hs1", scopes: ["directory"] }, { name: "plain" }],
    // Quotas out of the way so that the fuzzer reaches every decision behind them.
    lookup: {
      rate_limits: {
        client: UNLIMITED,
        user: UNLIMITED,
        bad_token: UNLIMITED,
        directory: UNLIMITED,
      },
    },
  });
  token = fx.tokens.hs1 as string;
  real = realHashes(20);
});
afterAll(async () => {
  console.log(`adversarial-http: ${tally.toString()}`);
  await fx?.stop();
});

/** Methods fetch refuses to send (the wire test sends them raw). */
const FETCH_FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);

interface Sent {
  readonly base: "api" | "ops";
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

async function send(req: Sent): Promise<Answer> {
  const base = req.base === "api" ? fx.handle.apiUrl : fx.handle.operationsUrl;
  const hasBody = req.body !== undefined && req.method !== "GET" && req.method !== "HEAD";
  const r = await fetch(`${base}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(hasBody ? { body: req.body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const body = Buffer.from(await r.arrayBuffer());
  const answer = {
    status: r.status,
    contentType: r.headers.get("content-type") ?? undefined,
    body,
  };
  tally.add(answer.status);
  return answer;
}

function expectFine(answer: Answer, surface: string | undefined, req: Sent): void {
  const problems = problemsOf(answer, surface, req.method === "HEAD");
  if (problems.length > 0) {
    const shown = { ...req, body: req.body?.toString("utf8").slice(0, 300) };
    throw new Error(`${problems.join("; ")}\nrequest: ${JSON.stringify(shown)}`);
  }
}

/** A method: usually the served one, sometimes anything. */
const methodFor = (served: string) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constant(served) },
    { weight: 1, arbitrary: method.filter((m) => !FETCH_FORBIDDEN.has(m)) },
  );

function headersOf(
  creds: Credentials,
  type: string | undefined,
  extra: Record<string, string>,
): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  if (creds.header !== undefined) headers.authorization = creds.header;
  if (type !== undefined) headers["content-type"] = type;
  return headers;
}

/** Puts the body token (if any) into a JSON object body; other bodies stay as they are. */
function withBodyToken(body: Buffer, creds: Credentials): Buffer {
  if (!creds.body.present) return body;
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return body;
    return Buffer.from(JSON.stringify({ ...value, api_token: creds.body.value }));
  } catch {
    return body;
  }
}

/** Fuzzes one JSON endpoint of the API listener. */
async function fuzzJsonEndpoint(
  surface: string,
  path: string,
  served: string,
  body: fc.Arbitrary<Buffer>,
  numRuns: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      methodFor(served),
      credentials(token),
      contentType,
      extraHeaders,
      body,
      async (m, creds, type, extra, raw) => {
        const req: Sent = {
          base: "api",
          path,
          method: m,
          headers: headersOf(creds, type, extra),
          body: withBodyToken(raw, creds),
        };
        expectFine(await send(req), surface, req);
      },
    ),
    { numRuns },
  );
}

describe("fuzzing the API listener", () => {
  it("abuse_lookup: every answer is a documented success or an LJS-4 4xx", async () => {
    const users = fc.constantFrom(...real.slice(-2));
    const body = jsonishBody(
      { room_id_hash: fieldValue(real), user_id_hash: fc.oneof(users, fieldValue(real)) },
      fc.record({ room_id_hash: fc.constantFrom(...real), user_id_hash: users }),
    );
    await fuzzJsonEndpoint("abuse_lookup", "/_matrix/loj/v1/abuse_lookup", "PUT", body, runs(2000));
  }, 60_000);

  it("unfreeze: every answer is a documented success or an LJS-4 4xx", async () => {
    const body = jsonishBody(
      { user_id_hash: fieldValue(real) },
      fc.record({ user_id_hash: fc.constantFrom(...real) }),
    );
    await fuzzJsonEndpoint("unfreeze", "/_matrix/loj/v1/unfreeze", "POST", body, runs(1000));
  }, 60_000);

  it("check: every answer is a documented success or an LJS-4 4xx", async () => {
    const hashes = fc.oneof(
      fc.array(fc.constantFrom(...real), { minLength: 1, maxLength: 100 }),
      fc.array(fieldValue(real), { maxLength: 120 }),
      fc.array(fc.constantFrom(...real), { minLength: 101, maxLength: 130 }),
      fieldValue(real),
    );
    const valid = fc.record({
      room_id_hashes: fc.array(fc.constantFrom(...real), { minLength: 1, maxLength: 100 }),
    });
    const body = jsonishBody({ room_id_hashes: hashes }, valid);
    await fuzzJsonEndpoint("check", "/_matrix/loj/v1/check", "POST", body, runs(1000));
  }, 60_000);

  it("/health, /ready and unknown paths answer only documented things", async () => {
    const path = fc.oneof(
      fc.constantFrom("/health", "/ready", "/health/", "/HEALTH", "/ready?x=1", "/metrics"),
      fc.constantFrom("/admin/reload", "/_matrix/loj/v1", "/_matrix/loj/v2/abuse_lookup"),
      fc.stringMatching(/^\/[A-Za-z0-9._~%/-]{0,60}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        methodFor("GET"),
        extraHeaders,
        fc.uint8Array({ maxLength: 64 }),
        async (p, m, extra, raw) => {
          const req: Sent = {
            base: "api",
            path: p,
            method: m,
            headers: extra,
            body: Buffer.from(raw),
          };
          const surface = /^\/(health|ready)(\?.*)?$/.exec(p)?.[1];
          expectFine(await send(req), surface, req);
        },
      ),
      { numRuns: runs(600) },
    );
  }, 60_000);
});

describe("fuzzing the operations listener", () => {
  it("/metrics, /admin/reload and unknown paths answer only documented things", async () => {
    const target = fc.oneof(
      fc.constant({ path: "/metrics", surface: "metrics", served: "GET" }),
      fc.constant({ path: "/admin/reload", surface: "reload", served: "POST" }),
      fc.stringMatching(/^\/[A-Za-z0-9._~%/-]{0,40}$/).map((path) => ({
        path,
        surface: undefined,
        served: "GET",
      })),
    );
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
      fc.integer({ min: 1000, max: 5000 }).map((n) => Buffer.alloc(n, 0x7b)),
    );
    await fc.assert(
      fc.asyncProperty(
        target,
        contentType,
        extraHeaders,
        body,
        fc.boolean(),
        fc.boolean(),
        async (t, type, extra, raw, odd, authorised) => {
          const m = odd ? "DELETE" : t.served;
          const headers: Record<string, string> =
            type === undefined ? { ...extra } : { ...extra, "content-type": type };
          // Half the requests carry the operations token, so the gate's later checks and
          // the reload itself are reached too.
          if (authorised) headers.authorization = `Bearer ${fx.operationsToken}`;
          const req: Sent = { base: "ops", path: t.path, method: m, headers, body: raw };
          const answer = await send(req);
          if (t.surface === "metrics" && answer.status === 200) return; // Prometheus text, by design
          expectFine(answer, t.surface, req);
        },
      ),
      { numRuns: runs(400) },
    );
  }, 60_000);
});

describe("after the storm", () => {
  it("still answers, and logged no internal error", async () => {
    expect((await fx.request("/health")).status).toBe(200);
    const r = await fx.lookup(token, listedRoom(2), "@after-the-storm:example.org");
    expect(r.status).toBe(200);
    expect(readLog(fx)).not.toMatch(/"internal error"|background task failed/);
  });
});
