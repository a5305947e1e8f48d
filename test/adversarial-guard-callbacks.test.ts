/**
 * Hostile input on the guard's callback and operations listeners, fuzzed with
 * fast-check over real HTTP against a whole guard (its real lookup service in-process, a
 * stand-in Synapse): every antispam callback name — the four gated ones, `ping` and
 * unknown ones — with malformed, truncated, nested, huge, invalid-UTF-8 and duplicated-key
 * bodies, wrong secrets and content types; the text check; /health and /ready; /metrics
 * and /admin/unfreeze; raw bytes on the socket. What docs/guard.md promises is checked
 * exactly: a wrong secret gets the non-JSON 401; a body the guard cannot read gets the
 * callback's fail-mode answer; everything else is `200 {}` or a refusal with one of the
 * operator's texts — and a listed room is never allowed. Never a 5xx, never internals.
 *
 * REDLIGHT_FUZZ_SCALE multiplies the number of cases (default 1: about 4,500 requests).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { MAX_SEARCH_TERM_CHARS } from "../src/services/guard/directory/search-redirect.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRoomId, parseUserId } from "../src/core/ids.js";
import {
  basicProblems,
  callbackProblems,
  jsonOf,
  matrixErrorProblems,
  StatusTally,
  unauthorisedProblems,
  verdictOf,
  type WireAnswer,
} from "./support/guard-answers.js";
import { operationsToken } from "./guard-fixture.js";
import { startGuardWorld, type GuardWorld } from "./support/guard-world.js";
import { contentType, extraHeaders, jsonishBody } from "./support/hostile-input.js";
import { rawRequest, requestBytes } from "./support/raw-http.js";
import { clean, listed, termRoom, TERM } from "./support/synapse-stand-in.js";

const SCALE = Number(process.env.REDLIGHT_FUZZ_SCALE ?? "1");
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const GATED = [
  "user_may_join_room",
  "user_may_invite",
  "federated_user_may_invite",
  "user_may_publish_room",
];
/** The world's fail modes: what an unreadable body is answered with. */
const FAIL_OPEN: Record<string, boolean> = {
  user_may_join_room: true,
  user_may_invite: false,
  federated_user_may_invite: true,
  user_may_publish_room: false,
};

let dir: string;
let world: GuardWorld;
let secretList: string[];
const tally = new StatusTally();
const verdicts = new Map<string, number>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-adv-guard-"));
  // A generous deadline: a fail-open answer on a loaded machine would look like a leak.
  world = await startGuardWorld({ dir, lookupTimeout: "10s" });
  const s = world.secrets;
  secretList = [s.antispam, s.pseudonym, s.lookupToken, s.botToken, s.adminToken, s.textKey];
  // A member of a listed room: its callbacks take the "already joined" path.
  world.hs.joined.set("@member-1:example.org", new Set([listed(1), clean(1)]));
}, 60_000);

afterAll(async () => {
  console.log(`adversarial-guard-callbacks: ${tally.toString()}`);
  console.log(
    `adversarial-guard-callbacks: verdicts ${JSON.stringify(Object.fromEntries(verdicts))}`,
  );
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Sent {
  readonly base: "callbacks" | "operations";
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

async function send(req: Sent): Promise<WireAnswer> {
  const base = req.base === "callbacks" ? world.guard.url : world.guard.operationsUrl;
  const hasBody = req.body !== undefined && req.method !== "GET" && req.method !== "HEAD";
  const r = await fetch(`${base}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(hasBody ? { body: req.body } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = {
    status: r.status,
    contentType: r.headers.get("content-type") ?? undefined,
    text: await r.text(),
  };
  tally.add(answer.status);
  return answer;
}

function fail(problems: string[], req: Sent, answer: WireAnswer): void {
  if (problems.length === 0) return;
  const shown = { ...req, body: req.body?.toString("utf8").slice(0, 300) };
  throw new Error(
    `${problems.join("; ")}\nrequest: ${JSON.stringify(shown)}\nanswer: ${answer.status} ${answer.text.slice(0, 300)}`,
  );
}

// ——— arbitraries ————————————————————————————————————————————————————————————————

const oddString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc
    .tuple(fc.constantFrom("\u0301", "\u200b", "\u202e", "\ufeff", "\u0000", "😀"), fc.nat(3000))
    .map(([c, n]) => `@${c.repeat(n)}:example.org`),
  fc.constantFrom("@a:b:c", "@:example.org", "@a:", "@a:[::1]", "@a:203.0.113.7", "!a:ex ample"),
);
const user = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 40 }).map((i) => `@fuzz-${i}:example.org`) },
  { weight: 1, arbitrary: fc.constant("@member-1:example.org") },
  { weight: 1, arbitrary: fc.constantFrom("@x:evil.spam.example", "@x:203.0.113.9", "@x:[::1]") },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const room = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 }).map(listed) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 24 }).map(clean) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map(termRoom) },
  { weight: 1, arbitrary: fc.stringMatching(/^![A-Za-z0-9_-]{43}$/) }, // room version 12
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const strippedState = fc.array(
  fc.oneof(
    fc.record({
      type: fc.constant("m.room.name"),
      content: fc.record({
        name: fc.oneof(fc.constantFrom(`My ${TERM} corner`, "Orchard"), oddString),
      }),
    }),
    fc.record({ type: fc.constant("m.room.topic"), content: fc.record({ topic: oddString }) }),
    fc.jsonValue({ maxDepth: 3 }),
  ),
  { maxLength: 5 },
);
const event = fc.record(
  {
    sender: user,
    room_id: room,
    state_key: user,
    type: fc.constantFrom("m.room.member", "m.room.message"),
    unsigned: fc.oneof(fc.record({ invite_room_state: strippedState }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const BODIES: Record<string, fc.Arbitrary<Buffer>> = {
  user_may_join_room: jsonishBody(
    { user, room, is_invited: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })) },
    fc.record({ user, room, is_invited: fc.boolean() }),
  ),
  user_may_invite: jsonishBody(
    { inviter: user, invitee: user, room_id: room },
    fc.record({ inviter: user, invitee: user, room_id: room }),
  ),
  federated_user_may_invite: jsonishBody({ event }, fc.record({ event })),
  user_may_publish_room: jsonishBody(
    { user_id: user, room_id: room },
    fc.record({ user_id: user, room_id: room }),
  ),
  ping: jsonishBody(
    { id: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()) },
    fc.record({ id: fc.string() }),
  ),
};
const asBody = (a: fc.Arbitrary<Record<string, unknown>>) =>
  a.map((v) => Buffer.from(JSON.stringify(v)));
const goodUser = fc.integer({ min: 1, max: 40 }).map((i) => `@fuzz-${i}:example.org`);
const goodRoom = fc.oneof(
  fc.integer({ min: 1, max: 6 }).map(listed),
  fc.integer({ min: 1, max: 24 }).map(clean),
  fc.integer({ min: 1, max: 6 }).map(termRoom),
);
/** Well-formed bodies, so that many cases reach a decision. */
const VALID: Record<string, fc.Arbitrary<Buffer>> = {
  user_may_join_room: asBody(
    fc.record({
      user: fc.oneof(goodUser, fc.constant("@member-1:example.org")),
      room: goodRoom,
      is_invited: fc.boolean(),
    }),
  ),
  user_may_invite: asBody(fc.record({ inviter: goodUser, invitee: goodUser, room_id: goodRoom })),
  federated_user_may_invite: asBody(
    fc.record({
      event: fc.record({
        sender: fc.oneof(goodUser, fc.constantFrom("@x:evil.spam.example", "@x:203.0.113.9")),
        room_id: goodRoom,
        state_key: goodUser,
        type: fc.constant("m.room.member"),
        unsigned: fc.record({ invite_room_state: strippedState }),
      }),
    }),
  ),
  user_may_publish_room: asBody(fc.record({ user_id: goodUser, room_id: goodRoom })),
};
const oversized = fc
  .integer({ min: 256 * 1024 + 1, max: 300 * 1024 })
  .map((n) =>
    Buffer.from(`{"user":"@a:example.org","room":"${listed(1)}","pad":"${"x".repeat(n)}"}`),
  );

/** The callback path, sometimes percent-encoded (Fastify decodes before routing). */
const pathOf = (name: string) =>
  fc.constantFrom(
    `/_redlight/antispam/${name}`,
    `/_redlight/antispa%6D/${name}`,
    `/%5Fredlight/antispam/${name}`,
    `/_redlight/antispam/${name}?x=1`,
    `/_redlight/antispam/${encodeURIComponent(name).replace(/^./, (c) => `%${c.charCodeAt(0).toString(16)}`)}`,
  );

const authorization = (secret: string) =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constant(`Bearer ${secret}`) },
    fc.constant(`bearer   ${secret}  `),
    fc.constant(undefined),
    fc.constant(`Bearer ${secret} extra`),
    fc.constant(`Bearer ${secret.slice(0, -1)}`),
    fc.constant(`Basic ${Buffer.from(`u:${secret}`).toString("base64")}`),
    fc.string({ unit: "grapheme-ascii", maxLength: 60 }).map((s) => `Bearer ${s}`.trim()),
  );

/** What the guard must accept as its own secret (docs: `Authorization: Bearer <secret>`). */
const authorised = (header: string | undefined, secret: string) =>
  header !== undefined && /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] === secret;

/** The decoded attempt, when the body is one the gate can read (an independent decoder). */
function decoded(callback: string, body: Buffer): { room: string } | undefined {
  if (body.length > 256 * 1024) return undefined;
  const value = jsonOf(body.toString("utf8"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const ids = (u: unknown, r: unknown) => parseUserId(u).ok && parseRoomId(r).ok;
  switch (callback) {
    case "user_may_join_room":
      return ids(v.user, v.room) ? { room: String(v.room) } : undefined;
    case "user_may_invite":
      return ids(v.inviter, v.room_id) && parseUserId(v.invitee).ok
        ? { room: String(v.room_id) }
        : undefined;
    case "user_may_publish_room":
      return ids(v.user_id, v.room_id) ? { room: String(v.room_id) } : undefined;
    case "federated_user_may_invite": {
      const e = v.event as Record<string, unknown> | null | undefined;
      if (typeof e !== "object" || e === null || Array.isArray(e)) return undefined;
      return ids(e.sender, e.room_id) && parseUserId(e.state_key).ok
        ? { room: String(e.room_id) }
        : undefined;
    }
  }
  return undefined;
}

const TERM_ROOMS = new Set(Array.from({ length: 6 }, (_, i) => termRoom(i + 1)));

const countVerdict = (callback: string, verdict: string) =>
  verdicts.set(`${callback}:${verdict}`, (verdicts.get(`${callback}:${verdict}`) ?? 0) + 1);

// ——— the callback listener —————————————————————————————————————————————————————

describe("fuzzing the antispam callbacks", () => {
  it.each([
    ["user_may_join_room", 900],
    ["user_may_invite", 500],
    ["federated_user_may_invite", 500],
    ["user_may_publish_room", 400],
  ])(
    "%s: the non-JSON 401, the fail mode's answer, or a deliberate verdict (%i cases)",
    async (callback, n) => {
      const { messages } = world.config.guard;
      const body = fc.oneof(
        { weight: 25, arbitrary: BODIES[callback]! },
        { weight: 15, arbitrary: VALID[callback]! },
        { weight: 1, arbitrary: oversized },
      );
      await fc.assert(
        fc.asyncProperty(
          pathOf(callback),
          fc.oneof(
            { weight: 12, arbitrary: fc.constant("POST") },
            fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS"),
          ),
          authorization(world.secrets.antispam),
          fc.oneof({ weight: 3, arbitrary: fc.constant("application/json") }, contentType),
          extraHeaders,
          body,
          async (path, method, auth, type, extra, raw) => {
            const headers: Record<string, string> = { ...extra };
            if (auth !== undefined) headers.authorization = auth;
            if (type !== undefined) headers["content-type"] = type;
            const req: Sent = { base: "callbacks", path, method, headers, body: raw };
            const answer = await send(req);
            const problems = basicProblems(answer, secretList);
            if (!authorised(auth, world.secrets.antispam)) {
              fail([...problems, ...unauthorisedProblems(answer)], req, answer);
              return;
            }
            if (method !== "POST") {
              // The body is read before the method is refused: an odd one may be 400 or 413.
              fail([...problems, ...matrixErrorProblems(answer, [400, 405, 413])], req, answer);
              return;
            }
            problems.push(...callbackProblems(answer, callback, messages));
            const verdict = verdictOf(answer, messages);
            const attempt = decoded(callback, raw);
            countVerdict(callback, attempt === undefined ? `undecodable-${verdict}` : verdict);
            if (attempt === undefined) {
              // Exactly the fail mode's answer: allow, or the `unavailable` refusal.
              const expected = FAIL_OPEN[callback] ? "allow" : "unavailable";
              if (verdict !== expected)
                problems.push(`fail mode: ${verdict}, expected ${expected}`);
            } else if (world.listedRooms.includes(attempt.room) && verdict === "allow") {
              problems.push("a listed room was allowed");
            } else if (
              // Local invites and publications read the room's name from the admin API
              // (federated invites from the stripped state the remote server sent).
              TERM_ROOMS.has(attempt.room) &&
              (callback === "user_may_invite" || callback === "user_may_publish_room") &&
              verdict === "allow"
            ) {
              problems.push("a room named with a term was allowed");
            }
            fail(problems, req, answer);
          },
        ),
        { numRuns: runs(n) },
      );
    },
    120_000,
  );

  it("ping echoes; unknown callback names are allowed; other paths get JSON errors", async () => {
    const name = fc
      .oneof(
        { weight: 3, arbitrary: fc.constant("ping") },
        fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
        fc.constantFrom("check_event_for_spam", "user_may_create_room", "accept_make_join"),
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).map(encodeURIComponent),
      )
      .filter((n) => !/^(\.|%2e){1,2}$/i.test(n)); // dot segments: fetch resolves them away
    await fc.assert(
      fc.asyncProperty(
        name,
        authorization(world.secrets.antispam),
        fc.oneof({ weight: 4, arbitrary: BODIES.ping! }, BODIES.user_may_join_room!),
        async (n, auth, raw) => {
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (auth !== undefined) headers.authorization = auth;
          const req: Sent = {
            base: "callbacks",
            path: `/_redlight/antispam/${n}`,
            method: "POST",
            headers,
            body: raw,
          };
          const answer = await send(req);
          const problems = basicProblems(answer, secretList);
          const callbackName = decodeURIComponent(n);
          if (!authorised(auth, world.secrets.antispam)) {
            // A slash inside the name makes it another path: still under the prefix, still 401.
            return fail([...problems, ...unauthorisedProblems(answer)], req, answer);
          }
          const body = jsonOf(answer.text) as Record<string, unknown> | undefined;
          if (answer.status !== 200) problems.push(`status ${answer.status}`);
          if (callbackName === "ping") {
            if (body?.status !== "ok") problems.push("ping without status ok");
            const sent = jsonOf(raw.toString("utf8")) as Record<string, unknown> | undefined;
            const id =
              typeof sent === "object" && sent !== null && !Array.isArray(sent)
                ? sent.id
                : undefined;
            if ((typeof id === "string" || typeof id === "number") && body?.id !== id)
              problems.push("ping did not echo the id");
          } else if (!GATED.includes(callbackName) && JSON.stringify(body) !== "{}") {
            problems.push("an unknown callback was not answered 200 {}");
          }
          fail(problems, req, answer);
        },
      ),
      { numRuns: runs(500) },
    );
  }, 60_000);

  it("text check: 401 JSON without the key, 413 when huge, else 200 {} or the MSC4387 redirect", async () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: "grapheme", maxLength: 200 }),
      fc.constantFrom(
        TERM,
        `q u o k k a b e r r y`,
        `QUOKKA\u200bBERRY`,
        `ｑｕｏｋｋａｂｅｒｒｙ`,
        `${TERM}s`,
      ),
      fc
        .tuple(fc.constantFrom("\u0301", "\u200b", "\u202e", "a", " "), fc.nat(60_000))
        .map(([c, n]) => c.repeat(n)),
    );
    const body = fc.oneof(
      text.map((t) => Buffer.from(t, "utf8")),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.constant(Buffer.alloc(300 * 1024, 0x61)),
    );
    const auth = fc.oneof(
      { weight: 6, arbitrary: fc.constant(`Bearer ${world.secrets.textKey}`) },
      fc.constant(undefined),
      fc.constant("Bearer wrong-key"),
      fc.constant(`Bearer ${world.secrets.antispam}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 8, arbitrary: fc.constant("POST") },
          fc.constantFrom("GET", "PUT", "DELETE"),
        ),
        auth,
        fc.oneof(
          fc.constant(undefined),
          fc.constantFrom("text/plain", "application/json"),
          contentType,
        ),
        body,
        async (method, a, type, raw) => {
          const headers: Record<string, string> = {};
          if (a !== undefined) headers.authorization = a;
          if (type !== undefined) headers["content-type"] = type;
          const req: Sent = {
            base: "callbacks",
            path: "/_policyserv/v1/check/text",
            method,
            headers,
            body: raw,
          };
          const answer = await send(req);
          const problems = basicProblems(answer, secretList);
          if (method !== "POST") problems.push(...matrixErrorProblems(answer, [400, 405, 413]));
          else if (a === undefined || a !== `Bearer ${world.secrets.textKey}`)
            problems.push(...matrixErrorProblems(answer, [401]));
          else if (raw.length > 256 * 1024) problems.push(...matrixErrorProblems(answer, [413]));
          else if (
            raw.toString("utf8").trim() !== "" &&
            [...raw.toString("utf8")].length > MAX_SEARCH_TERM_CHARS
          ) {
            // A search term over the documented limit is refused unmatched.
            problems.push(...matrixErrorProblems(answer, [400]));
            if (jsonOf(answer.text) === undefined || answer.text.indexOf("M_INVALID_PARAM") < 0)
              problems.push("an overlong text without M_INVALID_PARAM");
          } else if (answer.status === 200) {
            if (answer.text !== "{}") problems.push("200 without {}");
          } else {
            const b = jsonOf(answer.text) as Record<string, unknown> | undefined;
            if (answer.status !== 400 || b?.errcode !== "ORG.MATRIX.MSC4387_SAFETY")
              problems.push("neither fine nor the MSC4387 answer");
            if (JSON.stringify(b?.harms) !== '["m.spam"]') problems.push("harms missing");
          }
          fail(problems, req, answer);
        },
      ),
      { numRuns: runs(500) },
    );
  }, 60_000);

  it("/health, /ready and unknown paths answer documented things without the secret", async () => {
    const path = fc.oneof(
      fc.constantFrom("/health", "/ready", "/health?x=%zz", "/metrics", "/admin/unfreeze", "/"),
      fc.stringMatching(/^\/[A-Za-z0-9._~%-]{0,40}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"),
        async (p, method) => {
          const req: Sent = { base: "callbacks", path: p, method, headers: {} };
          const answer = await send(req);
          const problems = basicProblems(answer, secretList);
          const bare = p.replace(/\?.*$/, "");
          if (
            (bare === "/health" || bare === "/ready") &&
            (method === "GET" || method === "HEAD")
          ) {
            if (answer.status !== 200 && !(bare === "/ready" && answer.status === 503))
              problems.push(`status ${answer.status}`);
          } else if (method !== "HEAD") {
            problems.push(...matrixErrorProblems(answer, [400, 404, 405]));
          } else if (answer.status < 400 || answer.status >= 500)
            problems.push(`HEAD ${answer.status}`);
          fail(problems, req, answer);
        },
      ),
      { numRuns: runs(300) },
    );
  }, 60_000);
});

// ——— the operations listener ———————————————————————————————————————————————————

describe("fuzzing the operations listener", () => {
  it("/metrics, /admin/unfreeze and unknown paths: documented answers or 4xx JSON", async () => {
    const unfreezeBody = jsonishBody(
      { user_id: user, actor: fc.oneof(fc.string(), fc.jsonValue()) },
      fc.record({ user_id: user }),
    );
    const target = fc.oneof(
      fc.constant({ path: "/metrics", served: "GET" }),
      { weight: 3, arbitrary: fc.constant({ path: "/admin/unfreeze", served: "POST" }) },
      fc.stringMatching(/^\/[A-Za-z0-9._~%/-]{0,30}$/).map((path) => ({ path, served: "GET" })),
    );
    await fc.assert(
      fc.asyncProperty(
        target,
        fc.boolean(),
        fc.oneof(
          unfreezeBody,
          fc.integer({ min: 4097, max: 9000 }).map((n) => Buffer.alloc(n, 0x7b)),
        ),
        contentType,
        fc.boolean(),
        extraHeaders,
        async (t, odd, raw, type, authorised, extra) => {
          const method = odd ? "DELETE" : t.served;
          const headers: Record<string, string> =
            type === undefined ? { ...extra } : { ...extra, "content-type": type };
          // Half the requests carry the operations token, so unfreezes are reached too.
          if (authorised) headers.authorization = `Bearer ${operationsToken(world.config)}`;
          const req: Sent = { base: "operations", path: t.path, method, headers, body: raw };
          const answer = await send(req);
          const problems = basicProblems(answer, secretList);
          if (t.path === "/metrics" && method === "GET") {
            if (answer.status !== 200 || !(answer.contentType ?? "").startsWith("text/plain"))
              problems.push("metrics not served");
          } else if (t.path === "/admin/unfreeze" && method === "POST" && answer.status === 200) {
            const b = jsonOf(answer.text) as Record<string, unknown> | undefined;
            if (typeof b?.unfrozen !== "boolean" || typeof b.summary !== "string")
              problems.push("malformed unfreeze answer");
          } else {
            problems.push(...matrixErrorProblems(answer, [400, 401, 403, 404, 405, 413, 415]));
          }
          fail(problems, req, answer);
        },
      ),
      { numRuns: runs(400) },
    );
  }, 60_000);
});

// ——— below the JSON ————————————————————————————————————————————————————————————

describe("raw bytes on the guard's sockets", () => {
  it("answers malformed HTTP with 4xx and never falls silent or answers 5xx", async () => {
    const method = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("POST", "GET", "HEAD") },
      fc.constantFrom("CONNECT", "TRACE", "PROPFIND", "get", "P OST", ""),
    );
    const path = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          ...GATED.map((c) => `/_redlight/antispam/${c}`),
          "/_redlight/antispam/ping",
        ),
      },
      fc.constantFrom(
        "*",
        "/",
        "/%",
        "/_redlight/antispam/%zz",
        "/health",
        "/_policyserv/v1/check/text",
        `/${"a".repeat(3000)}`,
      ),
    );
    const framing = fc.constantFrom(
      "exact",
      "exact",
      "chunked",
      "bad-chunk",
      "cl+te",
      "dup-cl",
      "neg-cl",
      "huge-cl",
    );
    const headerValue = fc.oneof(
      fc.stringMatching(/^[ -~]{0,40}$/).map((s) => Buffer.from(s, "latin1")),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    );
    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        fc.constantFrom("HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1"),
        fc.boolean(),
        fc.array(
          fc.tuple(
            fc.constantFrom("x-odd", "content-type", "expect", "bad name", "\u00e9"),
            headerValue,
          ),
          { maxLength: 3 },
        ),
        framing,
        fc.oneof(
          BODIES.user_may_join_room!,
          fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
        ),
        async (m, p, version, withSecret, extra, kind, data) => {
          const cl = String(data.length);
          const chunked = Buffer.concat([
            Buffer.from(`${data.length.toString(16)}\r\n`),
            data,
            Buffer.from("\r\n0\r\n\r\n"),
          ]);
          const frames: Record<string, { h: [string, string][]; b: Buffer }> = {
            exact: { h: [["content-length", cl]], b: data },
            chunked: { h: [["transfer-encoding", "chunked"]], b: chunked },
            "bad-chunk": { h: [["transfer-encoding", "chunked"]], b: Buffer.from("zz\r\nab\r\n") },
            "cl+te": {
              h: [
                ["content-length", cl],
                ["transfer-encoding", "chunked"],
              ],
              b: chunked,
            },
            "dup-cl": {
              h: [
                ["content-length", cl],
                ["content-length", "1"],
              ],
              b: data,
            },
            "neg-cl": { h: [["content-length", "-1"]], b: data },
            "huge-cl": { h: [["content-length", "99999999999999999999"]], b: data },
          };
          const frame = frames[kind]!;
          const headers: [string, string | Buffer][] = [
            ["host", "guard.example.org"],
            ...(withSecret
              ? [["authorization", `Bearer ${world.secrets.antispam}`] as [string, string]]
              : []),
            ...extra,
            ...frame.h,
            ["connection", "close"],
          ];
          const bytes = Buffer.concat([
            Buffer.from(`${m} ${p} ${version}\r\n`, "latin1"),
            requestBytes("X", "/", headers, frame.b).subarray("X / HTTP/1.1\r\n".length),
          ]);
          const r = await rawRequest(world.guard.url, bytes, {
            head: m === "HEAD",
            timeoutMs: 12_000,
          });
          tally.add(r.status);
          const answer = {
            status: r.status,
            contentType: r.headers["content-type"],
            text: r.body.toString("utf8"),
          };
          const problems = basicProblems(answer, secretList);
          if (r.status >= 500) problems.push(`server error ${r.status}`);
          if (
            r.status >= 400 &&
            m !== "HEAD" &&
            r.status !== 401 &&
            jsonOf(answer.text) === undefined
          )
            problems.push("an error that is not JSON");
          if (r.status === 401 && p.startsWith("/_redlight/") && jsonOf(answer.text) !== undefined)
            problems.push("a JSON 401 on a callback path");
          const req: Sent = { base: "callbacks", path: p, method: m, headers: {} };
          fail(problems, { ...req, body: bytes }, answer);
        },
      ),
      { numRuns: runs(600) },
    );
  }, 120_000);
});

describe("after the storm", () => {
  it("still decides correctly, and logged no internal error", async () => {
    expect((await fetch(`${world.guard.url}/health`)).status).toBe(200);
    const refused = await world.callback("user_may_join_room", {
      user: "@after-the-storm:example.org",
      room: listed(2),
      is_invited: false,
    });
    expect(refused.status).toBe(403);
    const allowed = await world.callback("user_may_join_room", {
      user: "@after-the-storm:example.org",
      room: clean(3),
      is_invited: false,
    });
    expect(allowed.status).toBe(200);
    const log = readFileSync(join(dir, "guard", "guard.log"), "utf8");
    expect(log).not.toMatch(/"internal error"|"decision failed"|background task failed/);
  });
});
