/**
 * Directory traffic never starves the callbacks Synapse waits on. An outside review found
 * that one unauthenticated directory search of 64 KiB (`"l1l1l1 "` repeated, against a
 * hashed term list) held the guard's event loop for seconds, so a `user_may_join_room`
 * callback for a listed room arriving meanwhile missed its lookup deadline and was
 * allowed by the fail mode. This reproduces that against a whole guard (term list hashed,
 * fail mode `open`, so a fail-mode answer would be an allow): expensive searches and
 * expensive remote pages in parallel, join callbacks for a listed room meanwhile.
 *
 * Asserted on outcomes only, never on timing: every join is refused as `listed` — the
 * lookup's answer, not the fail mode's — and every directory request gets a deliberate
 * answer (the limit's 400, a page, or the saturated matcher's 503).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashTerm } from "../src/core/text/index.js";
import { FakeHomeserver, roomEntry } from "./doubles/fake-homeserver.js";
import type { GuardHandle } from "../src/services/guard/main.js";
import { runGuard } from "./directory-fixture.js";
import { freePort, TestLookup, writeGuardConfig, writeGuardSecrets } from "./guard-fixture.js";

const LISTED = "!synthetic-0001:example.org";
const SEARCH = "/_matrix/client/v3/publicRooms";
/**
 * The review's search: "l1l1l1 " (every token two ambiguous readings) repeated to just
 * under the directory's 64 KiB body limit.
 */
const REVIEW_TERM = "l1l1l1 ".repeat(9_300);
/** The costliest term within the limit: U+FDFA expands eighteen-fold under NFKC. */
const LONGEST_COSTLY_TERM = "\uFDFA".repeat(256);
/** A remote page as costly as a server can make it: every name and topic 4,096 × U+FDFA. */
const COSTLY_PAGE = {
  chunk: Array.from({ length: 100 }, (_, i) =>
    roomEntry(`!costly-${String(i).padStart(4, "0")}:example.org`, {
      name: "\uFDFA".repeat(4_096),
      topic: "\uFDFA".repeat(4_096),
    }),
  ),
};

let dir: string;
let lookup: TestLookup;
let upstream: FakeHomeserver;
let guard: GuardHandle;
let secret: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-isolation-"));
  lookup = await TestLookup.create(dir);
  await lookup.start();
  await lookup.list(LISTED);
  upstream = await FakeHomeserver.start();
  upstream.answer = () => ({ status: 200, body: COSTLY_PAGE });
  writeGuardSecrets(dir, lookup.token);
  // A hashed list: every token n-gram of a text is hashed, the review's costly case.
  writeFileSync(join(dir, "terms.txt"), [...hashTerm("quokkaberry")].join("\n"));
  const { config } = writeGuardConfig({
    dir,
    lookupUrl: lookup.url,
    lookupToken: lookup.token,
    homeserverUrl: upstream.url,
    guardPort: await freePort(),
    operationsPort: await freePort(),
    guard: {
      terms: [{ id: "fruit", file: "./terms.txt", format: "sha256", max_words: 4 }],
      client_proxy: { listen: "127.0.0.1:0" },
      directory: { refill_pages: 0 },
      // Open: a join answered by the fail mode would be let in, as in the review.
      fail_mode: { user_may_join_room: "open" },
      lookup: { url: lookup.url, api_token_file: "./secrets/lookup-token", timeout: "3s" },
      cache: { clean_ttl: "1ms" },
    },
  });
  guard = await runGuard(dir, config);
  secret = readFileSync(join(dir, "secrets", "antispam"), "utf8").trim();
}, 60_000);

afterAll(async () => {
  await guard?.stop();
  await upstream?.stop();
  await lookup?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function join_(i: number): Promise<{ status: number; errcode: unknown }> {
  const res = await fetch(`${guard.url}/_redlight/antispam/user_may_join_room`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ user: `@joiner-${i}:example.org`, room: LISTED, is_invited: false }),
  });
  const body = (await res.json()) as { errcode?: unknown };
  return { status: res.status, errcode: body.errcode };
}

async function directory(init: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(`${guard.clientProxyUrl}${SEARCH}`, init);
  return { status: res.status, body: await res.text() };
}

const search = (term: string) =>
  directory({ method: "POST", body: JSON.stringify({ filter: { generic_search_term: term } }) });

async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${guard.operationsUrl}/metrics`)).text();
  const found = text.split("\n").find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.split(" ").pop());
}

describe("directory traffic and the callbacks", () => {
  it("refuses every join for a listed room by the lookup's answer while expensive searches and pages run", async () => {
    const attack: Promise<{ status: number; body: string }>[] = [];
    for (let i = 0; i < 8; i++) {
      attack.push(search(REVIEW_TERM), search(LONGEST_COSTLY_TERM), directory({ method: "GET" }));
    }
    const joins: { status: number; errcode: unknown }[] = [];
    let settled = false;
    const all = Promise.all(attack).finally(() => (settled = true));
    // Joins one after another for as long as the attack runs (at least 5).
    for (let i = 0; i < 5 || !settled; i++) joins.push(await join_(i));
    const answers = await all;

    for (const answer of joins) expect(answer).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
    const refused = await metric(
      'redlight_guard_decisions_total{callback="user_may_join_room",verdict="refuse",reason="listed"}',
    );
    expect(refused).toBe(joins.length);
    expect(
      await metric('redlight_guard_decisions_total{callback="user_may_join_room",verdict="allow"'),
    ).toBe(0);

    // Each directory request got a deliberate answer: the limit, a page, or 503 (saturated).
    for (const [i, answer] of answers.entries()) {
      const kind = i % 3;
      if (kind === 0) {
        expect(answer.status).toBe(400);
        expect(JSON.parse(answer.body)).toMatchObject({ errcode: "M_INVALID_PARAM" });
      } else {
        expect([200, 503]).toContain(answer.status);
        if (answer.status === 503)
          expect(JSON.parse(answer.body)).toMatchObject({ errcode: "M_UNKNOWN" });
        else if (kind === 2) {
          // Within the page's text budget some rooms were matched and kept; the rest hidden.
          const page = JSON.parse(answer.body) as { chunk: unknown[] };
          expect(page.chunk.length).toBeLessThan(COSTLY_PAGE.chunk.length);
        }
      }
    }
  }, 120_000);
});
