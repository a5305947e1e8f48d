/**
 * The `modules:` entry an admin puts into Synapse's homeserver.yaml for the guard. One
 * function makes it for docs/guard.md, for `redlight guard module-config`, and for the
 * end-to-end tests' Synapse, and a test compares the documentation with its output, so
 * the documented configuration is the tested one.
 */
import { stringify } from "yaml";
import type { GuardConfig } from "../../config/schema.js";
import { CALLBACK_PREFIX } from "./routes.js";
import { GATED_CALLBACKS } from "./gates/verdict.js";

/** The module synapse-http-antispam registers. */
export const ANTISPAM_MODULE = "synapse_http_antispam.HTTPAntispam";

/** What the module config depends on. */
export type ModuleConfigInputs = Pick<GuardConfig, "listen" | "antispam_secret_file" | "fail_mode">;

/** The module's `config:` block. `guardUrl` overrides `http://<guard.listen>`. */
export function antispamModuleConfig(
  guard: ModuleConfigInputs,
  guardUrl?: string,
): Record<string, unknown> {
  const base = (guardUrl ?? `http://${guard.listen}`).replace(/\/+$/, "");
  return {
    base_url: `${base}${CALLBACK_PREFIX}`,
    // The same file the guard reads, so the secret is written down once.
    authorization_path: guard.antispam_secret_file,
    // Listed explicitly: left unset, the module registers a callback Synapse does not know.
    enabled_callbacks: [...GATED_CALLBACKS],
    // When the guard itself cannot be reached, Synapse applies the same fail modes the
    // guard applies when the lookup service cannot be reached.
    fail_open: Object.fromEntries(GATED_CALLBACKS.map((c) => [c, guard.fail_mode[c] === "open"])),
    do_ping: true,
  };
}

/** The `modules:` list entry, as YAML for homeserver.yaml. */
export function antispamModuleYaml(guard: ModuleConfigInputs, guardUrl?: string): string {
  return stringify({
    modules: [{ module: ANTISPAM_MODULE, config: antispamModuleConfig(guard, guardUrl) }],
  });
}
