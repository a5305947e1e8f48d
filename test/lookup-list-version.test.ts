/**
 * The `list_version` extension (docs/api.md): authenticated like every LJS-4 endpoint, an
 * opaque version that changes when the client's view of the list changes (a reload that
 * adds a room), stays the same across a reload that changes nothing, and names no entry.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { TestLookup } from "./guard-fixture.js";

const PATH = "/_matrix/loj/v1/list_version";

describe("GET list_version", () => {
  const dir = mkdtempSync(join(tmpdir(), "redlight-list-version-"));
  let lookup: TestLookup;
  const version = async (token = lookup.token) => {
    const r = await fetch(`${lookup.url}${PATH}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    lookup = await TestLookup.create(dir);
    await lookup.start();
  });
  afterAll(async () => {
    await lookup.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a caller without a token or with a wrong one", async () => {
    const bare = await fetch(`${lookup.url}${PATH}`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ error: { errcode: "M_MISSING_TOKEN" } });
    expect((await version("not-a-token")).status).toBe(401);
    const post = await fetch(`${lookup.url}${PATH}`, {
      method: "POST",
      headers: { authorization: `Bearer ${lookup.token}` },
    });
    expect(post.status).toBe(405);
  });

  it("changes when a reload lists a room, not when a reload changes nothing", async () => {
    const before = await version();
    expect(before.status).toBe(200);
    expect(before.body.error).toBeNull();
    expect(typeof before.body.version).toBe("string");
    await lookup.handle!.reload();
    expect((await version()).body.version).toBe(before.body.version);
    const room = "!synthetic-version-0001:example.org";
    await lookup.list(room);
    const after = await version();
    expect(after.body.version).not.toBe(before.body.version);
    // Opaque: neither the room hash nor the report id shows.
    const text = JSON.stringify(after.body);
    expect(text).not.toContain(ljs4Hash(room));
    expect(text).not.toContain(lookup.reportOf(room)!);
  });
});
