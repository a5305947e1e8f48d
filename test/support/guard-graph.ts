/**
 * The guard's real object graph (`composeGuard`) for in-process tests: a config whose
 * secret and term files are written to a temporary folder, fakes for the ports a test
 * wants to control, and the HTTP apps to `inject` into or listen on.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseConfig } from "../../src/config/load.js";
import type { GuardConfig } from "../../src/config/schema.js";
import {
  composeGuard,
  type ComposedGuard,
  type GuardPorts,
} from "../../src/services/guard/compose.js";

/** The antispam secret the test guard expects from "Synapse". */
export const ANTISPAM_SECRET = "synthetic-antispam-secret";

/** A test guard: the composed graph and the folder holding its files. */
export interface TestGuard {
  readonly config: GuardConfig;
  readonly composed: ComposedGuard;
  /** Stops the guard and removes its folder. */
  close(): Promise<void>;
}

export interface TestGuardOptions {
  /** The homeserver (default: an address nothing listens on). */
  readonly homeserverUrl?: string;
  /** Plain terms of one list `fruit` (harm `m.child_safety.csam`), with its help texts. */
  readonly terms?: { readonly terms: readonly string[]; readonly messages?: object };
  /** More `guard` keys, merged over the defaults. */
  readonly guard?: Record<string, unknown>;
}

/** Composes a guard for a test; `ports` replace the real adapters (logger defaults to silent). */
export function composeTestGuard(
  options: TestGuardOptions = {},
  ports: Partial<GuardPorts> = {},
): TestGuard {
  const dir = mkdtempSync(join(tmpdir(), "redlight-guard-graph-"));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const terms =
    options.terms === undefined
      ? {}
      : {
          terms: [
            {
              id: "fruit",
              file: file("fruit.terms", options.terms.terms.join("\n")),
              harms: ["m.child_safety.csam"],
              ...(options.terms.messages === undefined ? {} : { messages: options.terms.messages }),
            },
          ],
        };
  const parsed = parseConfig(
    {
      guard: {
        homeserver_url: options.homeserverUrl ?? "http://127.0.0.1:1",
        antispam_secret_file: file("antispam.secret", ANTISPAM_SECRET),
        pseudonym_secret_file: file("pseudonym.secret", "p".repeat(48)),
        lookup: { url: "http://127.0.0.1:2", api_token_file: file("lookup.token", "t") },
        ...terms,
        ...options.guard,
      },
    },
    dir,
  );
  if (!parsed.ok || parsed.value.guard === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(parsed.ok ? "no guard section" : parsed.error);
  }
  const config = parsed.value.guard;
  const composed = composeGuard(config, { logger: pino({ level: "silent" }), ...ports });
  return {
    config,
    composed,
    async close() {
      await composed.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
