import { describe, expect, it } from "vitest";
import { DirectoryPaging, INVALID_SINCE } from "./directory-paging.js";
import { roomEntry } from "../../../../test/doubles/fake-homeserver.js";
import { PageTokens } from "./page-tokens.js";
import { withSince } from "./pages.js";
import { decodeSynapseToken, encodeSynapseToken } from "./synapse-token.js";

const LISTED = "!synthetic-0001:example.org";
// Written by Synapse 1.163's RoomListNextBatch.to_token (its venv, once).
const SYNAPSE_TOKENS = [
  {
    token: "g6FtA6FyuyFzeW50aGV0aWMtMDAwMTpleGFtcGxlLm9yZ6Fkww",
    members: 3,
    roomId: LISTED,
    forwards: true,
  },
  {
    token: "g6FtzQEsoXLZLCFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhoWTC",
    members: 300,
    roomId: `!${"a".repeat(43)}`,
    forwards: false,
  },
  { token: "g6FtAKFyoKFkwg", members: 0, roomId: "", forwards: false },
];

describe("Synapse's paging tokens", () => {
  it("reads and writes them byte for byte as Synapse does", () => {
    for (const { token, ...boundary } of SYNAPSE_TOKENS) {
      expect(encodeSynapseToken(boundary)).toBe(token);
      expect(decodeSynapseToken(token)).toEqual({ ok: true, value: boundary });
    }
    const big = { members: 70_000, roomId: `!${"é".repeat(200)}:x`, forwards: true };
    expect(decodeSynapseToken(encodeSynapseToken(big))).toEqual({ ok: true, value: big });
  });

  it("refuses what Synapse would choke on", () => {
    for (const bad of [
      "",
      "p10",
      "!!",
      "g6FtAKFyoKFk",
      "g6FtAKFyoKFkwgA",
      "kw",
      "g6FtAKFyoKFkwg===",
    ])
      expect(decodeSynapseToken(bad).ok).toBe(false);
    // A negative member count, a missing direction, a number as the room id.
    const map = (...b: number[]) => Buffer.from([0x83, ...b]).toString("base64");
    expect(decodeSynapseToken(map(0xa1, 0x6d, 0xff, 0xa1, 0x72, 0xa0, 0xa1, 0x64, 0xc3)).ok).toBe(
      false,
    );
    expect(decodeSynapseToken(map(0xa1, 0x6d, 1, 0xa1, 0x72, 0xa0, 0xa1, 0x78, 0xc3)).ok).toBe(
      false,
    );
    expect(decodeSynapseToken(map(0xa1, 0x6d, 1, 0xa1, 0x72, 5, 0xa1, 0x64, 0xc3)).ok).toBe(false);
  });
});

describe("the guard's sealed paging tokens", () => {
  let clock = 1_000_000;
  const tokens = PageTokens.random(60_000, () => clock);
  const upstream = SYNAPSE_TOKENS[0]!.token;

  it("open to the upstream token, in the scope they were issued for, until they expire", () => {
    const sealed = tokens.seal(upstream, "client\u0000")!;
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed, "base64url").toString("latin1")).not.toContain("synthetic");
    expect(tokens.open(sealed, "client\u0000")).toEqual({ ok: true, value: upstream });
    expect(tokens.open(sealed, "client\u0000other.example")).toEqual({
      ok: false,
      error: "forged",
    });
    expect(tokens.open(sealed, "federation\u0000")).toEqual({ ok: false, error: "forged" });
    clock += 60_000;
    expect(tokens.open(sealed, "client\u0000")).toEqual({ ok: false, error: "expired" });
  });

  it("refuses a changed byte, another process's token, garbage and Synapse's own token", () => {
    const sealed = tokens.seal(upstream, "s")!;
    const bytes = Buffer.from(sealed, "base64url");
    for (const at of [0, 5, 20, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[at]! ^= 1;
      expect(tokens.open(changed.toString("base64url"), "s").ok).toBe(false);
    }
    const other = PageTokens.random(60_000, () => clock);
    expect(other.open(sealed, "s")).toEqual({ ok: false, error: "forged" });
    for (const garbage of ["", "p10", upstream, "A".repeat(100_000), "%zz", sealed.slice(0, 40)])
      expect(tokens.open(garbage, "s").ok).toBe(false);
  });

  it("do not tell the length of the room id they hold", () => {
    const short = tokens.seal(
      encodeSynapseToken({ members: 1, roomId: "!a:b", forwards: true }),
      "s",
    )!;
    const long = tokens.seal(
      encodeSynapseToken({ members: 1, roomId: `!${"x".repeat(20)}:example.org`, forwards: true }),
      "s",
    )!;
    expect(short.length).toBe(long.length);
    expect(tokens.seal(upstream, "s")).not.toBe(tokens.seal(upstream, "s")); // fresh nonce
  });
});

describe("paging through the proxy", () => {
  const paging = new DirectoryPaging(PageTokens.random(60_000));
  const CLIENT = "/_matrix/client/v3/publicRooms";
  const request = (api: "client" | "federation", rawUrl: string, body?: unknown) => ({
    api,
    method: body === undefined ? "GET" : "POST",
    rawUrl,
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  });

  it("seals the client's tokens and opens them back into Synapse's, GET and POST", () => {
    const first = paging.incoming(request("client", `${CLIENT}?limit=1&x=%21`), undefined);
    expect(first.ok && first.value.rawUrl).toBe(`${CLIENT}?limit=1&x=%21`);
    if (!first.ok) return;
    const next = encodeSynapseToken({ members: 1, roomId: LISTED, forwards: true });
    const page = paging.outgoing(
      "client",
      first.value,
      { chunk: [] },
      { next, prev: undefined },
      [],
    );
    const sealed = page["next_batch"] as string;
    expect(sealed).not.toContain(next);
    expect(page).not.toHaveProperty("prev_batch");
    const again = paging.incoming(
      request("client", `${CLIENT}?since=${sealed}&limit=1&x=%21`),
      undefined,
    );
    expect(again.ok && again.value.rawUrl).toBe(
      `${CLIENT}?limit=1&x=%21&since=${encodeURIComponent(next)}`,
    );
    expect(again.ok && again.value.since).toEqual({ members: 1, roomId: LISTED, forwards: true });
    const body = { since: sealed, limit: 1 };
    const post = paging.incoming(request("client", CLIENT, body), body);
    expect(post.ok && post.value.json).toEqual({ since: next, limit: 1 });
    expect(post.ok && JSON.parse(post.value.body!.toString())).toEqual({ since: next, limit: 1 });
  });

  it("refuses a since it did not issue with M_INVALID_PARAM, and lets an empty one through", () => {
    const raw = encodeSynapseToken({ members: 1, roomId: LISTED, forwards: true });
    for (const since of [raw, "p10", "bogus"])
      expect(paging.incoming(request("client", `${CLIENT}?since=${since}`), undefined)).toEqual({
        ok: false,
        error: INVALID_SINCE,
      });
    for (const since of [7, { a: 1 }, "garbage", true]) {
      const body = { since };
      expect(paging.incoming(request("federation", "/f", body), body).ok).toBe(false);
    }
    expect(paging.incoming(request("client", `${CLIENT}?since=`), undefined).ok).toBe(true);
    expect(paging.incoming(request("client", CLIENT, { since: null }), { since: null }).ok).toBe(
      true,
    );
    // Federation: Synapse's token, verbatim (the URI is signed).
    const fed = paging.incoming(
      request("federation", `/f?since=${encodeURIComponent(raw)}`),
      undefined,
    );
    expect(fed.ok && fed.value.rawUrl).toBe(`/f?since=${encodeURIComponent(raw)}`);
  });

  it("gives federation tokens that name the first and last room shown, or the requester's own since", () => {
    const shown = [
      roomEntry("!shown-0001:example.org"),
      roomEntry("!shown-0002:example.org", { num_joined_members: 7 }),
    ];
    const start = paging.incoming(request("federation", "/f?limit=4"), undefined);
    if (!start.ok) throw new Error("refused");
    const hidden = encodeSynapseToken({ members: 1, roomId: LISTED, forwards: true });
    const page = paging.outgoing(
      "federation",
      start.value,
      { chunk: [] },
      { next: hidden, prev: hidden },
      shown,
    );
    expect(decodeSynapseToken(page["next_batch"] as string)).toEqual({
      ok: true,
      value: { members: 7, roomId: "!shown-0002:example.org", forwards: true },
    });
    expect(decodeSynapseToken(page["prev_batch"] as string)).toEqual({
      ok: true,
      value: { members: 1, roomId: "!shown-0001:example.org", forwards: false },
    });
    // All hidden, paging forwards from a room the requester named: back to and including
    // it (a boundary just below its id), no further.
    const since = encodeSynapseToken({
      members: 7,
      roomId: "!shown-0002:example.org",
      forwards: true,
    });
    const from = paging.incoming(
      request("federation", `/f?since=${encodeURIComponent(since)}`),
      undefined,
    );
    if (!from.ok) throw new Error("refused");
    const empty = paging.outgoing(
      "federation",
      from.value,
      { chunk: [] },
      { next: hidden, prev: hidden },
      [],
    );
    expect(empty).toEqual({
      chunk: [],
      prev_batch: encodeSynapseToken({
        members: 7,
        roomId: "!shown-0002:example.orf\u{10FFFF}",
        forwards: false,
      }),
    });
    // All hidden, paging backwards: on from just above it, the room included.
    const back = encodeSynapseToken({
      members: 7,
      roomId: "!shown-0002:example.org",
      forwards: false,
    });
    const to = paging.incoming(
      request("federation", `/f?since=${encodeURIComponent(back)}`),
      undefined,
    );
    if (!to.ok) throw new Error("refused");
    expect(
      paging.outgoing("federation", to.value, { chunk: [] }, { next: hidden, prev: hidden }, []),
    ).toEqual({
      chunk: [],
      next_batch: encodeSynapseToken({
        members: 7,
        roomId: "!shown-0002:example.org\u0001",
        forwards: true,
      }),
    });
  });

  it("replaces only the since parameters of a query", () => {
    expect(withSince("/p?a=1&since=x&b=%2B&since=y", "t+/")).toBe("/p?a=1&b=%2B&since=t%2B%2F");
    expect(withSince("/p?%73ince=x", undefined)).toBe("/p");
    expect(withSince("/p", "t")).toBe("/p?since=t");
  });
});
