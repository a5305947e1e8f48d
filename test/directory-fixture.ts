/**
 * The world of the room directory end-to-end test: guards with a directory section, each
 * started from its own config file (as `redlight guard --config FILE` starts it), in
 * front of one real Synapse whose antispam module calls the first of them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { createLogger } from "../src/observability/logger.js";
import { FakeHomeserver } from "./doubles/fake-homeserver.js";
import { startGuard, type GuardHandle } from "../src/services/guard/main.js";
import { antispamModuleConfig } from "../src/services/guard/module-config.js";
import { allPages, idsOf } from "./directory-clients.js";
import {
  freePort,
  privateLookupSection,
  TestLookup,
  writeGuardConfig,
  writeGuardSecrets,
  type GuardRunConfig,
} from "./guard-fixture.js";
import type { MatrixTestClient } from "./support/matrix-client.js";
import { startSynapse, type RegisteredUser, type SynapseHandle } from "./support/synapse.js";

/** Synthetic, benign help texts in two languages. */
export const HELP = {
  en: "Synthetic help: no results for this search. Help is available at https://help.example.org",
  fr: "Aide synthétique : aucun résultat pour cette recherche. https://help.example.org",
};

/** Writes the term list (the one synthetic, benign term) into `dir`. */
export function writeTerms(dir: string): void {
  writeFileSync(join(dir, "terms.txt"), "# synthetic, benign test term\npineapple\n");
}

/** The term list section every guard of the test uses. */
export const TERMS = [
  { id: "fruit", file: "./terms.txt", harms: ["m.child_safety.csam"], messages: HELP },
];

/** Everything a directory guard of the test needs. */
export interface DirectoryGuardInputs {
  readonly dir: string;
  readonly lookup: TestLookup;
  readonly homeserverUrl: string;
  readonly adminToken?: string;
  readonly alerts?: { readonly roomId: string; readonly botToken: string };
  readonly guard: Record<string, unknown>;
  /** Ports chosen beforehand (Synapse's module config needs the callback port). */
  readonly ports?: { guardPort: number; operationsPort: number };
}

/** Writes a guard's secrets and config into `dir` (once per dir) and loads it. */
export async function directoryGuardConfig(
  inputs: DirectoryGuardInputs,
): Promise<{ file: string; config: GuardRunConfig }> {
  mkdirSync(inputs.dir, { recursive: true });
  writeTerms(inputs.dir);
  const ports = inputs.ports ?? { guardPort: await freePort(), operationsPort: await freePort() };
  return writeGuardConfig({
    dir: inputs.dir,
    lookupUrl: inputs.lookup.url,
    lookupToken: inputs.lookup.token,
    homeserverUrl: inputs.homeserverUrl,
    ...ports,
    ...(inputs.adminToken === undefined ? {} : { adminToken: inputs.adminToken }),
    ...(inputs.alerts === undefined ? {} : { alerts: inputs.alerts }),
    guard: { terms: TERMS, ...inputs.guard },
  });
}

/** Starts a guard from a loaded config, logging into its dir. */
export function runGuard(dir: string, config: GuardRunConfig): Promise<GuardHandle> {
  const logger = createLogger(
    "info",
    "guard",
    pino.destination({ dest: join(dir, "guard.log"), sync: true }),
  );
  return startGuard(config, logger);
}

/** Secrets for a guard dir (Synapse reads the antispam one at start). */
export function prepareGuardDir(dir: string, lookup: TestLookup): void {
  mkdirSync(dir, { recursive: true });
  writeGuardSecrets(dir, lookup.token);
}

/** The text guard A shows when it refuses a publication. */
export const PUBLISH_REFUSED = "Synthetic: this room cannot be listed here.";
const ORCHARDS = 14;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The rooms the world publishes (Synapse-made ids). */
export interface WorldRooms {
  readonly orchards: string[];
  /** "Pineapplesauce Growers": the term inside a longer, innocent word. */
  readonly growers: string;
  /** Published at creation (no callback), then listed. */
  readonly listed: string;
  /** "Fresh Pineapple Club", published at creation (no callback). */
  readonly fruity: string;
  /** A space (unpublished) with the first two orchards as children. */
  readonly space: string;
  /** Published, with the alias `#curated-lobby`. */
  readonly lobby: string;
}

/** One Synapse, a lookup service, a federation stand-in, three guards and the rooms. */
export interface DirectoryWorld {
  readonly lookup: TestLookup;
  readonly hs: SynapseHandle;
  readonly federation: FakeHomeserver;
  /** A: msc4228, alerts, Synapse's module target. B: msc4387. C: curated. */
  readonly guards: Readonly<Record<"a" | "b" | "c", GuardHandle>>;
  readonly admin: MatrixTestClient;
  readonly owner: MatrixTestClient;
  readonly bot: RegisteredUser;
  readonly searcher: RegisteredUser;
  readonly alertRoom: string;
  readonly rooms: WorldRooms;
  stop(): Promise<void>;
}

/**
 * Builds the world of test/directory-e2e.test.ts in `dir`; the guards speak `protocol` to
 * the lookup service (v2: the private lookup).
 */
export async function startDirectoryWorld(
  dir: string,
  protocol: "v1" | "v2" = "v1",
): Promise<DirectoryWorld> {
  const lookup = await TestLookup.create(dir, protocol === "v2" ? privateLookupSection(dir) : {});
  await lookup.start();
  const federation = await FakeHomeserver.start();
  const dirs = { a: join(dir, "a"), b: join(dir, "b"), c: join(dir, "c") };
  for (const d of Object.values(dirs)) prepareGuardDir(d, lookup);
  const portsA = { guardPort: await freePort(), operationsPort: await freePort() };
  const viaProtocol =
    protocol === "v2"
      ? { lookup: { url: lookup.url, api_token_file: "./secrets/lookup-token", protocol } }
      : {};
  const sectionA = {
    ...viaProtocol,
    messages: { publish_refused: { en: PUBLISH_REFUSED } },
    client_proxy: { listen: "127.0.0.1:0" },
    directory: {
      style: "msc4228",
      trusted_servers: ["trusted.example"],
      federation_url: federation.url,
      report_interval: "1s",
    },
  };
  // Synapse's module config needs guard A's callback address before Synapse's URL is known.
  const early = await directoryGuardConfig({
    dir: dirs.a,
    lookup,
    homeserverUrl: "http://127.0.0.1:1",
    guard: sectionA,
    ports: portsA,
  });
  const hs = await startSynapse({ antispam: antispamModuleConfig(early.config.guard) });
  const adminUser = await hs.registerUser("admin", { admin: true });
  const admin = hs.client(adminUser);
  const owner = hs.client(await hs.registerUser("owner"));
  const searcher = await hs.registerUser("searcher");
  const bot = await hs.registerUser("redlight-bot");
  const alertRoom = await admin.createRoom({
    preset: "private_chat",
    name: "Redlight alerts",
    invite: [bot.userId],
  });
  const base = { lookup, homeserverUrl: hs.baseUrl, adminToken: adminUser.accessToken };
  const configA = await directoryGuardConfig({
    ...base,
    dir: dirs.a,
    ports: portsA,
    guard: sectionA,
    alerts: { roomId: alertRoom, botToken: bot.accessToken },
  });
  const a = await runGuard(dirs.a, configA.config);
  const configB = await directoryGuardConfig({
    ...base,
    dir: dirs.b,
    guard: {
      ...viaProtocol,
      client_proxy: { listen: "127.0.0.1:0" },
      directory: { style: "msc4387" },
    },
  });
  const b = await runGuard(dirs.b, configB.config);

  const rooms = await publishRooms(owner, lookup, hs.serverName);
  const configC = await directoryGuardConfig({
    ...base,
    dir: dirs.c,
    guard: {
      ...viaProtocol,
      client_proxy: { listen: "127.0.0.1:0" },
      directory: {
        mode: "curated",
        curated_rooms: [rooms.space, `#curated-lobby:${hs.serverName}`, rooms.listed],
      },
    },
  });
  const c = await runGuard(dirs.c, configC.config);
  // Synapse fills its directory from room statistics, a moment after the events.
  const expected = [...rooms.orchards, rooms.growers, rooms.listed, rooms.fruity, rooms.lobby];
  for (let i = 0; ; i++) {
    const listed = idsOf(await allPages(hs.baseUrl, "GET", 100, searcher.accessToken));
    if (expected.every((r) => listed.includes(r))) break;
    if (i > 100) throw new Error("Synapse did not list the published rooms");
    await sleep(100);
  }
  return {
    lookup,
    hs,
    federation,
    guards: { a, b, c },
    admin,
    owner,
    bot,
    searcher,
    alertRoom,
    rooms,
    async stop() {
      for (const guard of [a, b, c]) await guard.stop();
      await hs.stop();
      await lookup.stop();
      await federation.stop();
    },
  };
}

/** Creates and publishes the world's rooms. */
async function publishRooms(
  owner: MatrixTestClient,
  lookup: TestLookup,
  serverName: string,
): Promise<WorldRooms> {
  // Published through the callback, which allows them.
  const orchards: string[] = [];
  for (let i = 1; i <= ORCHARDS; i++) {
    const room = await owner.createRoom({ preset: "public_chat", name: `Orchard ${i}` });
    const published = await owner.publishRoom(room);
    if (!published.ok) throw new Error(`publishing an orchard: ${published.error.error}`);
    orchards.push(room);
  }
  const growers = await owner.createRoom({ preset: "public_chat", name: "Pineapplesauce Growers" });
  if (!(await owner.publishRoom(growers)).ok) throw new Error("publishing the growers failed");
  // Published at creation, which Synapse does without asking the module: only the filter stops these.
  const atCreation = (name: string, alias?: string) =>
    owner.createRoom({
      preset: "public_chat",
      visibility: "public",
      name,
      ...(alias === undefined ? {} : { roomAliasName: alias }),
    });
  const listed = await atCreation("Quiet lounge");
  const fruity = await atCreation("Fresh Pineapple Club");
  await lookup.list(listed);
  const { room_id: space } = await owner.call<{ room_id: string }>(
    "POST",
    "/_matrix/client/v3/createRoom",
    { preset: "public_chat", name: "Curated space", creation_content: { type: "m.space" } },
  );
  for (const child of orchards.slice(0, 2))
    await owner.sendState(space, "m.space.child", child, { via: [serverName] });
  const lobby = await atCreation("Lobby", "curated-lobby");
  return { orchards, growers, listed, fruity, space, lobby };
}
