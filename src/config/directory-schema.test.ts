import { describe, expect, it } from "vitest";
import { parseConfig } from "./load.js";
import { termListId } from "./directory-schema.js";

const base = {
  homeserver_url: "http://127.0.0.1:8008",
  antispam_secret_file: "./secrets/antispam",
  pseudonym_secret_file: "./secrets/pseudonym",
  lookup: { url: "http://127.0.0.1:8480", api_token_file: "./secrets/lookup-token" },
};
const parse = (guard: Record<string, unknown>) =>
  parseConfig({ guard: { ...base, ...guard } }, "/etc/redlight");

describe("guard.terms and guard.directory", () => {
  it("takes the issue's keys, resolves paths, and fills the directory's defaults", () => {
    const parsed = parse({
      terms: [
        {
          file: "./terms.txt",
          harms: ["m.child_safety.csam"],
          messages: { en: "Help is available.", fr: "De l'aide existe." },
        },
        { id: "private", file: "./hashed.txt", format: "sha256", allow_file: "./allow.txt" },
      ],
      directory: {
        style: "msc4228",
        mode: "curated",
        curated_rooms: ["!a:example.org", "#b:example.org"],
        trusted_servers: ["example.net"],
      },
      text_check_key_file: "./secrets/text-check",
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const guard = parsed.value.guard!;
    expect(guard.terms[0]?.file).toBe("/etc/redlight/terms.txt");
    expect(guard.terms[1]?.allow_file).toBe("/etc/redlight/allow.txt");
    expect(guard.terms.map(termListId)).toEqual(["terms", "private"]);
    expect(guard.text_check_key_file).toBe("/etc/redlight/secrets/text-check");
    expect(guard.directory).toMatchObject({
      style: "msc4228",
      mode: "curated",
      fail_mode: "hide",
      refill_pages: 3,
    });
    expect(guard.fail_mode.user_may_publish_room).toBe("closed");
  });

  it("has no directory proxy unless configured", () => {
    const parsed = parse({});
    expect(parsed.ok && parsed.value.guard?.directory).toBeUndefined();
  });

  it("says where guard.invites.term_lists went", () => {
    const parsed = parse({ invites: { term_lists: [{ id: "x", terms_file: "./t.txt" }] } });
    expect(parsed).toEqual({ ok: false, error: expect.stringContaining("moved to guard.terms") });
  });

  it("says where guard.directory.listen went, and takes guard.client_proxy.listen", () => {
    const moved = parse({ directory: { listen: "127.0.0.1:8482" } });
    expect(moved).toEqual({
      ok: false,
      error: expect.stringContaining("moved to guard.client_proxy.listen"),
    });
    const parsed = parse({ client_proxy: {}, directory: {} });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value.guard?.client_proxy).toEqual({ listen: "127.0.0.1:8482" });
    const none = parse({});
    expect(none.ok && none.value.guard?.client_proxy).toBeUndefined();
  });

  it("rejects duplicate list ids, bad harm ids, and help texts without the default language", () => {
    const bad = [
      { terms: [{ file: "./a/terms.txt" }, { file: "./b/terms.txt" }] },
      { terms: [{ file: "./t.txt", harms: ["Not A Harm"] }] },
      { terms: [{ file: "./t.txt", messages: { fr: "seulement" } }] },
      { directory: { style: "msc9999" } },
      { directory: { curated_rooms: ["lobby"] } },
    ];
    for (const guard of bad) expect(parse(guard).ok, JSON.stringify(guard)).toBe(false);
    expect(
      parse({ terms: [{ file: "./a/terms.txt" }, { id: "b", file: "./b/terms.txt" }] }).ok,
    ).toBe(true);
  });

  it("derives a list id from an odd file name", () => {
    expect(termListId({ file: "/x/my terms (v2).txt" })).toBe("my-terms--v2-");
    expect(termListId({ file: "/x/.txt" })).toBe(".txt");
  });
});
