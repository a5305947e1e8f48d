/**
 * The term-list commands of `redlight guard` as an operator runs them: hashing a plain
 * list for `format: sha256`, and checking a text against the configured lists (the
 * hashed list must match exactly what the plain one does).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli } from "./support/cli.js";

let dir: string;

function redlight(args: string[], input?: string) {
  return runCli(args, { cwd: dir, ...(input === undefined ? {} : { input }) });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "redlight-terms-cli-"));
  writeFileSync(join(dir, "plain.txt"), "# synthetic, benign\npineapple\nblue turnip\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("redlight guard hash-terms and check-text", () => {
  it("hashes a plain list into a list that matches the same texts, never printing a term", async () => {
    const hashed = await redlight(["guard", "hash-terms", "-"], "pineapple\nblue turnip\n");
    expect(hashed.status).toBe(0);
    expect(hashed.stdout).not.toMatch(/pineapple|turnip/);
    expect(hashed.stderr).toContain("2 terms hashed; set format: sha256 and max_words: 2");
    expect((await redlight(["guard", "hash-terms", "plain.txt"])).stdout).toBe(hashed.stdout);
    writeFileSync(join(dir, "hashed.txt"), hashed.stdout);
    const guard = {
      homeserver_url: "http://127.0.0.1:8008",
      antispam_secret_file: "./secrets/antispam",
      pseudonym_secret_file: "./secrets/pseudonym",
      lookup: { url: "http://127.0.0.1:8480", api_token_file: "./secrets/lookup-token" },
      terms: [
        { id: "private", file: "./hashed.txt", format: "sha256", max_words: 2, harms: ["m.spam"] },
      ],
    };
    writeFileSync(join(dir, "redlight.yaml"), stringify({ guard }));
    const check = (text: string) => redlight(["guard", "check-text", text, "-c", "redlight.yaml"]);
    for (const text of ["P1NEAPPLE", "b l u e turnip", "Blue Turn1p club"]) {
      const r = await check(text);
      expect([text, r.status, r.stderr]).toEqual([
        text,
        0,
        "match: term list private, harms m.spam\n",
      ]);
    }
    for (const text of ["pineapplesauce", "blue", "turnip"]) {
      expect((await check(text)).stderr).toBe("no match: the search would run\n");
    }
  });

  it("hashes with an HMAC key for format: hmac-sha256; the keyed list matches only with its key", async () => {
    writeFileSync(join(dir, "terms.key"), "0123456789abcdef0123456789abcdef\n");
    writeFileSync(join(dir, "other.key"), "fedcba9876543210fedcba9876543210\n");
    const keyed = await redlight(["guard", "hash-terms", "plain.txt", "--key-file", "terms.key"]);
    expect(keyed.status).toBe(0);
    expect(keyed.stderr).toContain("set format: hmac-sha256");
    expect(keyed.stdout).not.toBe((await redlight(["guard", "hash-terms", "plain.txt"])).stdout);
    writeFileSync(join(dir, "keyed.txt"), keyed.stdout);
    const config = (key: string) => ({
      guard: {
        homeserver_url: "http://127.0.0.1:8008",
        antispam_secret_file: "./secrets/antispam",
        pseudonym_secret_file: "./secrets/pseudonym",
        lookup: { url: "http://127.0.0.1:8480", api_token_file: "./secrets/lookup-token" },
        terms: [{ id: "shared", file: "./keyed.txt", format: "hmac-sha256", key_file: key }],
      },
    });
    writeFileSync(join(dir, "keyed.yaml"), stringify(config("./terms.key")));
    writeFileSync(join(dir, "wrong-key.yaml"), stringify(config("./other.key")));
    const check = (yaml: string) => redlight(["guard", "check-text", "P1NEAPPLE", "-c", yaml]);
    expect((await check("keyed.yaml")).stderr).toBe("match: term list shared, harms (none)\n");
    expect((await check("wrong-key.yaml")).stderr).toBe("no match: the search would run\n");
    writeFileSync(join(dir, "short.key"), "tooshort\n");
    const short = await redlight(["guard", "hash-terms", "plain.txt", "--key-file", "short.key"]);
    expect([short.status, short.stderr]).toEqual([2, expect.stringContaining("at least 16 bytes")]);
  });

  it("reports an unreadable term list as a usage error", async () => {
    writeFileSync(
      join(dir, "broken.yaml"),
      stringify({
        guard: {
          homeserver_url: "http://127.0.0.1:8008",
          antispam_secret_file: "./a",
          pseudonym_secret_file: "./p",
          lookup: { url: "http://127.0.0.1:8480", api_token_file: "./t" },
          terms: [{ file: "./missing.txt" }],
        },
      }),
    );
    const r = await redlight(["guard", "check-text", "x", "-c", "broken.yaml"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot read term list file");
  });
});
