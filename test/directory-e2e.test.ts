/**
 * The room directory guard proven on a real Synapse 1.163: one
 * Synapse whose antispam module calls guard A; three guards in front of its publicRooms
 * endpoints — A (`msc4228`, alerts), B (`msc4387`), C (curated mode). The federation
 * endpoint is tested against a recorded stand-in upstream (a small node:http server
 * serving canned federation answers): the harness's Synapse has no federation listener.
 * Only benign synthetic words ("pineapple") and Synapse-made room ids. Run once with each
 * lookup protocol (v1, and v2: the private lookup).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomEntry } from "./doubles/fake-homeserver.js";
import { allPages, idsOf, publicRooms, type DirectoryAnswer } from "./directory-clients.js";
import {
  HELP,
  PUBLISH_REFUSED,
  startDirectoryWorld,
  type DirectoryWorld,
  type WorldRooms,
} from "./directory-fixture.js";
import { readSynapseToken, roomsNamedBy, synapseToken } from "./support/paging-tokens.js";

const EVASIONS = [
  "pineapple",
  "ｐｉｎｅａｐｐｌｅ", // fullwidth
  "pine\u200bap\u200cple\u2060", // zero-width space, non-joiner, word joiner
  "\u0440ine\u0430pple", // Cyrillic er and a
  "p1n34ppl3", // leetspeak
  "p.i.n.e.a.p.p.l.e", // dotted
  "p i n e a p p l e", // spaced
  "PiNeApPlE", // mixed case
];
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe.each(["v1", "v2"] as const)(
  "the room directory guard on a real Synapse, lookup %s",
  (protocol) => {
    const dir = mkdtempSync(join(tmpdir(), "redlight-directory-e2e-"));
    let world: DirectoryWorld;
    let rooms: WorldRooms;
    let token: string;
    const proxy = (g: "a" | "b" | "c") => world.guards[g].clientProxyUrl!;
    const directly = async () => idsOf(await allPages(world.hs.baseUrl, "GET", 100, token));
    const botAlerts = async (prefix: string) =>
      (await world.admin.getMessages(world.alertRoom, 100)).filter(
        (m) => m.sender === world.bot.userId && m.body.startsWith(prefix),
      );
    const search = (g: "a" | "b", term: string, headers: Record<string, string> = {}) =>
      publicRooms(proxy(g), { token, body: { filter: { generic_search_term: term } }, headers });

    beforeAll(async () => {
      world = await startDirectoryWorld(dir, protocol);
      rooms = world.rooms;
      token = world.searcher.accessToken;
    });

    afterAll(async () => {
      await world?.stop();
      if (process.env["REDLIGHT_KEEP_E2E"] !== "1") rmSync(dir, { recursive: true, force: true });
    });

    it("shows the published rooms through the proxy on every client path, minus the listed and the term-named one", async () => {
      const all = await directly();
      expect(all).toEqual(expect.arrayContaining([rooms.listed, rooms.fruity, rooms.growers]));
      const shown = all.filter((r) => r !== rooms.listed && r !== rooms.fruity);
      // Synapse's own answers pass through: without a token it asks for one.
      const anonymous = await publicRooms(proxy("a"));
      expect(anonymous).toEqual(await publicRooms(world.hs.baseUrl));
      expect(anonymous.status).toBe(401);
      for (const path of ["v3", "r0", "api/v1", "unstable"]) {
        const answer = await publicRooms(proxy("a"), {
          path: `/_matrix/client/${path}/publicRooms`,
          query: "limit=100",
          token: token,
        });
        expect(answer.status).toBe(200);
        expect(
          (answer.body["chunk"] as { room_id: string }[]).map((e) => e.room_id).sort(),
        ).toEqual([...shown].sort());
      }
    });

    it("never shows a listed room in GET or POST results, and refuses to publish one; moderators hear in aggregate", async () => {
      for (const g of ["a", "b"] as const) {
        for (const method of ["GET", "POST"] as const) {
          const ids = idsOf(await allPages(proxy(g), method, 5, token));
          expect(ids).not.toContain(rooms.listed);
          expect(ids).not.toContain(rooms.fruity);
        }
        const found = idsOf(
          await allPages(proxy(g), "POST", 5, token, {
            generic_search_term: "lounge",
          }),
        );
        expect(found).toEqual([]);
        expect(
          idsOf(
            await allPages(world.hs.baseUrl, "POST", 5, token, {
              generic_search_term: "lounge",
            }),
          ),
        ).toEqual([rooms.listed]);
      }
      const hidden = await world.owner.createRoom({
        preset: "public_chat",
        name: "Another lounge",
      });
      await world.lookup.list(hidden);
      const named = await world.owner.createRoom({
        preset: "public_chat",
        name: "P1neapple party",
      });
      for (const room of [hidden, named]) {
        expect(await world.owner.publishRoom(room)).toMatchObject({
          ok: false,
          error: { status: 403, errcode: "M_FORBIDDEN", error: PUBLISH_REFUSED },
        });
      }
      expect(await directly()).not.toContain(hidden);
      const refusals = await world.admin.waitForMessage(
        world.alertRoom,
        (m) => m.body.includes("tried to publish a listed room"),
        15_000,
      );
      expect(refusals.body).toBe(
        `Publication refused: ${world.owner.userId} tried to publish a listed room in the room directory (report ${world.lookup.reportOf(hidden)}; tags csam).`,
      );
      // Reported once, in aggregate (the two may fall into different report intervals).
      let summaries = "";
      for (let i = 0; i < 150; i++) {
        summaries = (await botAlerts("Room directory:")).map((m) => m.body).join("\n");
        if (summaries.includes("term list fruit 1") && summaries.includes("listed (report")) break;
        await sleep(100);
      }
      expect(summaries).toContain("by name or topic (term list fruit 1)");
      expect(summaries).toContain(`listed (report ${world.lookup.reportOf(rooms.listed)} 1)`);
      expect(summaries).not.toMatch(/pineapple|!/i);
      expect(await botAlerts("Publication refused")).toHaveLength(2);
    });

    it("keeps pagination working: short pages are topped up, next_batch is followed to the end", async () => {
      const expected = (await directly()).filter((r) => r !== rooms.listed && r !== rooms.fruity);
      for (const method of ["GET", "POST"] as const) {
        const pages = await allPages(proxy("a"), method, 4, token);
        const ids = idsOf(pages);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...expected].sort());
        // Every page but the last is full; the last may be empty when hidden rooms end the list.
        for (const page of pages.slice(0, -1)) expect(page).toHaveLength(4);
        expect(pages.length).toBeLessThanOrEqual(Math.ceil(expected.length / 4) + 1);
      }
    });

    it("hands out no paging token naming a listed room: limit=1 forwards and backwards, every shown room once", async () => {
      const hiddenRooms = [rooms.listed, rooms.fruity];
      const expected = (await directly()).filter((r) => !hiddenRooms.includes(r));
      // Synapse's own tokens name the boundary room: the leak the proxy must not pass on.
      const raw = await allPages(world.hs.baseUrl, "GET", 1, token);
      expect(raw.length).toBeGreaterThan(hiddenRooms.length);
      const tokens: string[] = [];
      const get = async (since?: string): Promise<DirectoryAnswer> => {
        const answer = await publicRooms(proxy("a"), {
          token,
          query: `limit=1${since === undefined ? "" : `&since=${encodeURIComponent(since)}`}`,
        });
        expect(answer.status).toBe(200);
        for (const key of ["next_batch", "prev_batch"]) {
          const t = answer.body[key];
          if (typeof t === "string") tokens.push(t);
        }
        return answer;
      };
      const ids = (a: DirectoryAnswer) =>
        (a.body["chunk"] as { room_id: string }[]).map((e) => e.room_id);
      const forwards: string[] = [];
      let last = await get();
      forwards.push(...ids(last));
      for (let i = 0; typeof last.body["next_batch"] === "string"; i++) {
        if (i > 100) throw new Error("more than 100 pages");
        last = await get(last.body["next_batch"]);
        forwards.push(...ids(last));
      }
      const backwards: string[] = ids(last);
      for (let at = last, i = 0; typeof at.body["prev_batch"] === "string"; i++) {
        if (i > 100) throw new Error("more than 100 pages");
        at = await get(at.body["prev_batch"]);
        backwards.unshift(...ids(at));
      }
      expect(forwards).toEqual(expected);
      expect(backwards).toEqual(expected);
      expect(tokens.length).toBeGreaterThanOrEqual(2 * (expected.length - 1));
      for (const t of tokens) {
        expect([t, roomsNamedBy(t, hiddenRooms)]).toEqual([t, []]);
        expect(readSynapseToken(t)).toBeUndefined(); // sealed: not Synapse's
      }
      // Synapse 1.163 answers a token it cannot decode with a 500; the proxy with a 400.
      const garbage = { token, query: "limit=1&since=not-a-token" };
      expect((await publicRooms(world.hs.baseUrl, garbage)).status).toBe(500);
      expect(await publicRooms(proxy("a"), garbage)).toEqual({
        status: 400,
        body: { errcode: "M_INVALID_PARAM", error: "Unknown or expired since token" },
      });
    });

    it("redirects the synthetic term in every evasion form, in both styles and both languages", async () => {
      for (const term of EVASIONS) {
        for (const [language, header] of [
          ["en", {}],
          ["fr", { "accept-language": "fr-FR,fr;q=0.9,en;q=0.5" }],
        ] as const) {
          const a = await search("a", term, header);
          expect([term, a.status, a.body]).toEqual([
            term,
            403,
            {
              errcode: "M_FORBIDDEN",
              error: HELP[language],
              messages: HELP,
              "org.matrix.msc4176.messages": HELP,
              harms: ["m.child_safety.csam"],
              "org.matrix.msc4387.harms": ["m.child_safety.csam"],
            },
          ]);
          const b = await search("b", term, header);
          expect([term, b.status, b.body]).toEqual([
            term,
            400,
            {
              errcode: "ORG.MATRIX.MSC4387_SAFETY",
              error: HELP[language],
              messages: HELP,
              "org.matrix.msc4176.messages": HELP,
              harms: ["m.child_safety.csam"],
              "org.matrix.msc4387.harms": ["m.child_safety.csam"],
              expiry: null,
            },
          ]);
        }
      }
      const metrics = await (await fetch(`${world.guards.a.operationsUrl}/metrics`)).text();
      expect(metrics).toContain(
        `redlight_guard_searches_redirected_total{list="fruit",harm="m.child_safety.csam",surface="directory"} ${EVASIONS.length * 2}`,
      );
      expect(metrics).not.toMatch(/pineapple|searcher/i);
    });

    it("answers benign searches with results, including longer innocent words that contain the term", async () => {
      for (const g of ["a", "b"] as const) {
        for (const [term, room] of [
          ["pineapplesauce", rooms.growers],
          ["growers", rooms.growers],
          ["orchard", rooms.orchards[0]!],
        ] as const) {
          const answer = await search(g, term);
          expect(answer.status).toBe(200);
          expect((answer.body["chunk"] as { room_id: string }[]).map((e) => e.room_id)).toContain(
            room,
          );
        }
      }
    });

    it("replaces the error text of an untrusted server whose directory a user searched, not a trusted one's", async () => {
      const direct = await publicRooms(world.hs.baseUrl, {
        token: token,
        query: "server=remote.example",
      });
      expect(direct.status).toBeGreaterThanOrEqual(400);
      const replaced = await publicRooms(proxy("a"), {
        token: token,
        query: "server=remote.example",
      });
      expect(replaced.status).toBe(direct.status);
      expect(replaced.body["error"]).toBe("The other server did not answer this search.");
      const trusted = await publicRooms(proxy("a"), {
        token: token,
        query: "server=trusted.example",
      });
      expect(trusted.body).toEqual(
        (
          await publicRooms(world.hs.baseUrl, {
            token: token,
            query: "server=trusted.example",
          })
        ).body,
      );
    });

    it("filters the federation endpoint and redirects federated searches (stand-in upstream)", async () => {
      const page = {
        chunk: [
          roomEntry(rooms.orchards[0]!),
          roomEntry(rooms.listed),
          roomEntry(rooms.fruity, { name: "Fresh Pineapple Club" }),
        ],
        next_batch: "fed-2",
        total_room_count_estimate: 3,
      };
      world.federation.answer = () => ({ status: 200, body: page });
      const auth = `X-Matrix origin="remote.example",destination="${world.hs.serverName}",key="ed25519:a",sig="c2lnbmF0dXJl"`;
      const path = "/_matrix/federation/v1/publicRooms";
      const got = await publicRooms(proxy("a"), {
        path,
        query: "limit=3&include_all_networks=false",
        headers: { authorization: auth },
      });
      // Synapse's token is not passed on: the guard's names the last room shown.
      const next_batch = synapseToken(1, rooms.orchards[0]!, true);
      expect(got).toEqual({ status: 200, body: { ...page, chunk: [page.chunk[0]], next_batch } });
      expect(world.federation.last).toMatchObject({
        method: "GET",
        url: `${path}?limit=3&include_all_networks=false`,
      });
      expect(world.federation.last!.headers["authorization"]).toBe(auth);
      const before = world.federation.received.length;
      const redirected = await publicRooms(proxy("a"), {
        path,
        headers: { authorization: auth },
        body: { filter: { generic_search_term: "p1neapple" } },
      });
      expect(redirected.status).toBe(403);
      expect(world.federation.received).toHaveLength(before);
      world.federation.answer = () => ({
        status: 403,
        body: { errcode: "M_FORBIDDEN", error: "Federation denied" },
      });
      expect(
        await publicRooms(proxy("a"), {
          path,
          headers: { authorization: auth },
          body: { limit: 1 },
        }),
      ).toEqual({
        status: 403,
        body: { errcode: "M_FORBIDDEN", error: "Federation denied" },
      });
      expect(world.federation.last!.body.toString()).toBe('{"limit":1}');
    });

    it("curated mode shows only curated rooms: a space's children and a room by alias, never a listed one", async () => {
      const expected = [rooms.orchards[0]!, rooms.orchards[1]!, rooms.lobby].sort();
      let shown: string[] = [];
      for (let i = 0; i < 100; i++) {
        shown = idsOf(await allPages(proxy("c"), "GET", 10, token)).sort();
        if (shown.length >= expected.length) break;
        await sleep(100); // the space and the alias are resolved in the background
      }
      expect(shown).toEqual(expected);
    });
  },
);
