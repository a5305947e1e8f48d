/**
 * The admin documentation's Synapse module block is the one the code makes: docs/guard.md
 * holds an example guard config and the module block derived from it; this test derives
 * the block again with the function the end-to-end test configures Synapse with, and
 * compares. It also pins the callbacks the guard claims: each has a fail mode, a place in
 * the module config, and an answer.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../src/config/load.js";
import { antispamModuleConfig, antispamModuleYaml } from "../src/services/guard/module-config.js";
import { GATED_CALLBACKS } from "../src/services/guard/gates/verdict.js";

const doc = readFileSync(new URL("../docs/guard.md", import.meta.url), "utf8");

/** The fenced YAML between `<!-- name: begin … -->` and `<!-- name: end -->`. */
function block(name: string): string {
  const m = new RegExp(
    `<!-- ${name}: begin[^>]*-->\\s*\`\`\`yaml\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${name}: end -->`,
  ).exec(doc);
  if (m?.[1] === undefined) throw new Error(`docs/guard.md has no ${name} block`);
  return m[1];
}

function documentedGuard() {
  const parsed = parseConfig(parseYaml(block("guard-config")), "/etc/redlight");
  if (!parsed.ok) throw new Error(parsed.error);
  if (parsed.value.guard === undefined) throw new Error("no guard section");
  return parsed.value.guard;
}

describe("docs/guard.md", () => {
  it("shows exactly the module config the code makes for its example config", () => {
    expect(block("module-config")).toBe(antispamModuleYaml(documentedGuard()));
  });

  it("documents a valid config in the documented place", () => {
    const guard = documentedGuard();
    expect(guard.antispam_secret_file).toBe("/etc/redlight/secrets/antispam");
    expect(doc).toContain("/etc/redlight/redlight.yaml");
  });
});

describe("the callbacks the guard claims", () => {
  it("each has a fail mode, is enabled in the module config, and fails open exactly as configured", () => {
    const guard = documentedGuard();
    expect(Object.keys(guard.fail_mode).sort()).toEqual([...GATED_CALLBACKS].sort());
    const module = antispamModuleConfig(guard);
    expect(module["enabled_callbacks"]).toEqual([...GATED_CALLBACKS]);
    expect(module["fail_open"]).toEqual(
      Object.fromEntries(GATED_CALLBACKS.map((c) => [c, guard.fail_mode[c] === "open"])),
    );
    expect(module["base_url"]).toBe("http://127.0.0.1:8481/_redlight/antispam");
    expect(antispamModuleConfig(guard, "http://10.0.0.2:9000/")["base_url"]).toBe(
      "http://10.0.0.2:9000/_redlight/antispam",
    );
  });

  it("never enables callbacks that break Synapse", () => {
    expect(GATED_CALLBACKS).not.toContain("check_username_for_spam");
    expect(GATED_CALLBACKS).not.toContain("user_may_create_room_alias");
  });
});
