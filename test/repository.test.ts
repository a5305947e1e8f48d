/**
 * Repository invariants (STYLE.md "Tests and habits"): generated docs are current, every
 * error code is documented, the README starts with its two commands and CI runs the test one.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configExampleYaml, configMarkdown } from "../src/config/docs.js";
import { configSchema } from "../src/config/schema.js";
import { ERROR_CATALOGUE } from "../src/core/errors.js";
import { parse } from "yaml";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("repository invariants", () => {
  it("docs/config.md and config.example.yaml match the schema (npm run docs:config)", () => {
    expect(read("docs/config.md")).toBe(configMarkdown());
    expect(read("config.example.yaml")).toBe(configExampleYaml());
  });

  it("config.example.yaml is itself a valid config", () => {
    expect(configSchema.safeParse(parse(read("config.example.yaml"))).success).toBe(true);
  });

  it("documents every error code in docs/errors.md", () => {
    const doc = read("docs/errors.md");
    const missing = Object.keys(ERROR_CATALOGUE).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it("starts the README with the two commands, and CI runs the test one", () => {
    const readme = read("README.md");
    const block = /```sh\n([^`]+)```/.exec(readme)?.[1] ?? "";
    const commands = block
      .trim()
      .split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim());
    // `npm ci`: the committed lock file is complete, so installs are reproducible.
    expect(commands).toEqual(["npm ci && npm run demo", "npm ci && npm run check"]);
    expect(readme.indexOf("```sh")).toBeLessThan(readme.indexOf("## "));
    const ci = read(".ci/run");
    expect(ci).toContain("npm ci\nnpm run check\n");
  });

  it("stands alone: no file points outside the repository or at the issue tracker", () => {
    const tracked = execFileSync("git", ["ls-files", "src", "test", "bench", "scripts", "docs"], {
      cwd: new URL("..", import.meta.url),
      encoding: "utf8",
    })
      .split("\n")
      .filter((f) => /\.(ts|md|sh|cjs|js|yaml)$/.test(f));
    const outside = /\.\.\/shared\/|shared\/(?:reference|seeds)|\b[Ii]ssues? #?\d+\b/;
    const offenders = [...tracked, "README.md", "config.example.yaml"].filter((f) =>
      outside.test(read(f)),
    );
    expect(offenders).toEqual([]);
  });
});
