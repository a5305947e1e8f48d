import { describe, expect, it } from "vitest";
import type { RoomId } from "../../../core/ids.js";
import { err, ok } from "../../../core/result.js";
import {
  CuratedRooms,
  HomeserverCuratedResolver,
  spaceChildren,
  type CuratedResolver,
} from "./curated.js";
import type { MatrixCall } from "../synapse/matrix-http.js";

const r = (name: string) => `!${name}:example.org` as RoomId;

function resolver(
  children: Record<string, string[]>,
  aliases: Record<string, string>,
  failing = new Set<string>(),
): CuratedResolver {
  return {
    roomOfAlias: async (alias) => ok(aliases[alias] as RoomId | undefined),
    childrenOf: async (room) =>
      failing.has(room) ? err("HTTP 500") : ok((children[room] ?? []) as RoomId[]),
  };
}

describe("CuratedRooms", () => {
  it("shows listed ids at once, and aliases and space children once resolved", async () => {
    const problems: string[] = [];
    const curated = new CuratedRooms(
      [r("plain"), "#space:example.org", "#gone:example.org", "bad"],
      resolver(
        { [r("space")]: [r("child"), r("sub")], [r("sub")]: [r("grandchild")] },
        { "#space:example.org": r("space") },
      ),
      (p) => problems.push(p),
    );
    expect(curated.allows(r("plain"), undefined)).toBe(true);
    expect(curated.allows(r("child"), undefined)).toBe(false);
    expect(curated.allows(r("other"), "#space:example.org")).toBe(true); // by canonical alias
    await curated.refresh();
    for (const name of ["plain", "space", "child", "sub", "grandchild"])
      expect(curated.allows(r(name), undefined)).toBe(true);
    expect(curated.allows(r("other"), undefined)).toBe(false);
    expect(problems.some((p) => p.includes("#gone:example.org"))).toBe(true);
    expect(problems.some((p) => p.includes("bad"))).toBe(true);
  });

  it("keeps what the last refresh found when one fails part-way", async () => {
    const failing = new Set<string>();
    const curated = new CuratedRooms(
      [r("space")],
      resolver({ [r("space")]: [r("child")] }, {}, failing),
      () => undefined,
    );
    await curated.refresh();
    failing.add(r("space"));
    await curated.refresh();
    expect(curated.allows(r("child"), undefined)).toBe(true);
  });

  it("follows nested spaces at most three levels deep, without looping", async () => {
    const curated = new CuratedRooms(
      [r("s0")],
      resolver(
        {
          [r("s0")]: [r("s1")],
          [r("s1")]: [r("s2"), r("s0")],
          [r("s2")]: [r("s3")],
          [r("s3")]: [r("s4")],
        },
        {},
      ),
      () => undefined,
    );
    await curated.refresh();
    expect(["s0", "s1", "s2", "s3"].every((n) => curated.allows(r(n), undefined))).toBe(true);
    expect(curated.allows(r("s4"), undefined)).toBe(false);
  });
});

describe("space children", () => {
  const create = (type?: string) => ({
    type: "m.room.create",
    state_key: "",
    content: type ? { type } : {},
  });
  const child = (id: string, via: unknown) => ({
    type: "m.space.child",
    state_key: id,
    content: { via },
  });

  it("are the m.space.child events with a via list, in a space only", () => {
    const state = [
      create("m.space"),
      child(r("a"), ["example.org"]),
      child(r("b"), []),
      child("nonsense", ["x"]),
    ];
    expect(spaceChildren(state)).toEqual([r("a")]);
    expect(spaceChildren([create(), child(r("a"), ["example.org"])])).toEqual([]);
  });

  it("are read from the admin API, aliases from the client API", async () => {
    const calls: string[] = [];
    const call =
      (answers: Record<string, { status: number; body?: unknown }>): MatrixCall =>
      async (_method, path) => {
        calls.push(path);
        const answer = answers[path];
        return answer === undefined
          ? err("unreachable")
          : ok({ status: answer.status, body: answer.body });
      };
    const space = r("space");
    const resolverOverHttp = new HomeserverCuratedResolver(
      call({
        "/_matrix/client/v3/directory/room/%23lobby%3Aexample.org": {
          status: 200,
          body: { room_id: space },
        },
        "/_matrix/client/v3/directory/room/%23none%3Aexample.org": { status: 404 },
      }),
      call({
        [`/_synapse/admin/v1/rooms/${encodeURIComponent(space)}/state`]: {
          status: 200,
          body: { state: [create("m.space"), child(r("kid"), ["example.org"])] },
        },
      }),
    );
    expect(await resolverOverHttp.roomOfAlias("#lobby:example.org")).toEqual(ok(space));
    expect(await resolverOverHttp.roomOfAlias("#none:example.org")).toEqual(ok(undefined));
    expect(await resolverOverHttp.childrenOf(space)).toEqual(ok([r("kid")]));
    expect((await resolverOverHttp.childrenOf(r("elsewhere"))).ok).toBe(false);
    expect(await new HomeserverCuratedResolver(call({}), undefined).childrenOf(space)).toEqual(
      ok([]),
    );
  });
});
