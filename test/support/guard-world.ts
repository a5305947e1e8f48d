/**
 * A whole guard in-process for the adversarial, fault and secrecy tests of the guard and
 * the room directory guard: its config file and secrets (as `redlight guard --config FILE`
 * reads them), a stand-in Synapse (alerts, admin API, directory upstream), a lookup
 * service (the real one in-process, or any URL and token, e.g. a real process), term
 * lists with one benign synthetic term, and helpers to call each surface.
 * Synthetic ids and benign words only.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { createLogger } from "../../src/observability/logger.js";
import { startGuard, type GuardHandle } from "../../src/services/guard/main.js";
import {
  freePort,
  TestLookup,
  writeGuardConfig,
  writeSecret,
  type GuardRunConfig,
} from "../guard-fixture.js";
import { listed, SynapseStandIn, TERM } from "./synapse-stand-in.js";

/** Help texts of the world's term list (benign, synthetic). */
export const HELP = {
  en: "Synthetic help: nothing to show for this search. https://help.example.org",
  fr: "Aide synthétique : rien à montrer. https://help.example.org",
};

/** Every secret of a world, for the tests that look for them. */
export interface WorldSecrets {
  readonly antispam: string;
  readonly pseudonym: string;
  readonly lookupToken: string;
  readonly botToken: string;
  readonly adminToken: string;
  readonly textKey: string;
}

/** A running world. */
export interface GuardWorld {
  readonly dir: string;
  readonly hs: SynapseStandIn;
  readonly guard: GuardHandle;
  readonly config: GuardRunConfig;
  readonly secrets: WorldSecrets;
  /** The in-process lookup service, unless a URL was given. */
  readonly lookup: TestLookup | undefined;
  /** Listed room ids (synthetic). */
  readonly listedRooms: readonly string[];
  /** POSTs a callback as synapse-http-antispam does. */
  readonly callback: (name: string, body: unknown) => Promise<{ status: number; text: string }>;
  /** The operations listener's metrics text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** How to build a world. */
export interface GuardWorldOptions {
  readonly dir: string;
  /** Listed rooms 1..n (`listed(i)` of the stand-in). */
  readonly listedCount?: number;
  /** An external lookup service; otherwise one runs in-process with quotas out of the way. */
  readonly lookupService?: { readonly url: string; readonly token: string };
  /** Merged over the guard section. */
  readonly guard?: Record<string, unknown>;
  readonly logLevel?: string;
  /** `guard.lookup.timeout`; default 1s. */
  readonly lookupTimeout?: string;
}

const UNLIMITED = { requests: 1_000_000_000, per: "1m" };

/** Builds and starts a world in `options.dir`. */
export async function startGuardWorld(options: GuardWorldOptions): Promise<GuardWorld> {
  const { dir } = options;
  const listedCount = options.listedCount ?? 6;
  const listedRooms = Array.from({ length: listedCount }, (_, i) => listed(i + 1));
  mkdirSync(dir, { recursive: true });
  let lookup: TestLookup | undefined;
  let lookupService = options.lookupService;
  if (lookupService === undefined) {
    lookup = await TestLookup.create(join(dir, "lookup"), {
      rate_limits: { client: UNLIMITED, user: UNLIMITED, bad_token: UNLIMITED },
    });
    await lookup.start();
    await lookup.list(...listedRooms);
    lookupService = { url: lookup.url, token: lookup.token };
  }
  const secrets: WorldSecrets = {
    antispam: `antispam-${randomBytes(16).toString("hex")}`,
    pseudonym: `pseudonym-${randomBytes(24).toString("hex")}`,
    lookupToken: lookupService.token,
    botToken: `bot-${randomBytes(16).toString("hex")}`,
    adminToken: `admin-${randomBytes(16).toString("hex")}`,
    textKey: `textkey-${randomBytes(16).toString("hex")}`,
  };
  const guardDir = join(dir, "guard");
  mkdirSync(guardDir, { recursive: true });
  writeSecret(guardDir, "antispam", secrets.antispam);
  writeSecret(guardDir, "pseudonym", secrets.pseudonym);
  writeSecret(guardDir, "lookup-token", secrets.lookupToken);
  writeSecret(guardDir, "text-check-key", secrets.textKey);
  writeFileSync(join(guardDir, "terms.txt"), `# synthetic, benign test term\n${TERM}\n`);
  const hs = await SynapseStandIn.start(
    { bot: secrets.botToken, admin: secrets.adminToken },
    listedCount,
  );
  const { config } = writeGuardConfig({
    dir: guardDir,
    lookupUrl: lookupService.url,
    lookupToken: lookupService.token,
    homeserverUrl: hs.url,
    guardPort: await freePort(),
    operationsPort: await freePort(),
    adminToken: secrets.adminToken,
    alerts: { roomId: "!alerts:example.org", botToken: secrets.botToken },
    guard: {
      fail_mode: {
        user_may_join_room: "open",
        user_may_invite: "closed",
        federated_user_may_invite: "open",
        user_may_publish_room: "closed",
      },
      lookup: {
        url: lookupService.url,
        api_token_file: "./secrets/lookup-token",
        timeout: options.lookupTimeout ?? "1s",
      },
      admin_api_timeout: "400ms",
      cache: { clean_ttl: "2s" },
      alerts: { commands: false, invite_summary_interval: "1s" },
      invites: { deny_servers: ["*.spam.example"] },
      terms: [{ id: "fruit", file: "./terms.txt", harms: ["m.spam"], messages: HELP }],
      text_check_key_file: "./secrets/text-check-key",
      client_proxy: { listen: "127.0.0.1:0" },
      directory: {
        style: "msc4228",
        federation_url: hs.url,
        trusted_servers: ["trusted.example"],
        report_interval: "1s",
        upstream_timeout: "2s",
      },
      ...options.guard,
    },
  });
  const logger = createLogger(
    options.logLevel ?? "info",
    "guard",
    pino.destination({ dest: join(guardDir, "guard.log"), sync: true }),
  );
  const guard = await startGuard(config, logger);
  return {
    dir,
    hs,
    guard,
    config,
    secrets,
    lookup,
    listedRooms,
    callback: async (name, body) => {
      const r = await fetch(`${guard.url}/_redlight/antispam/${name}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${secrets.antispam}`,
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
      return { status: r.status, text: await r.text() };
    },
    async metrics() {
      return (await fetch(`${guard.operationsUrl}/metrics`)).text();
    },
    async stop() {
      await guard.stop();
      await hs.stop();
      await lookup?.stop();
    },
  };
}

/** The value of one metric line (`name{labels}`), 0 when absent. */
export function metricValue(text: string, line: string): number {
  const found = text.split("\n").find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.split(" ").pop());
}
