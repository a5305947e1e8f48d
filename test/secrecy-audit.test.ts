/**
 * Secrecy audit: a full scenario as an operator and clients would drive it —
 * CLI set-up, an encrypted list file and an HTTP list source, real lookup processes on
 * SQLite and PostgreSQL, hits, freezes, unfreezes, batch checks, bad and misplaced tokens,
 * a client sending a plain room id, reloads good and bad, a token rotation, shutdown —
 * then every byte it left behind is scanned: the data folder (SQLite file, WAL, logs,
 * config), a `pg_dump`, the PostgreSQL server log. No listed room id, list hash (hex or raw
 * bytes), client token or list-source credential may appear in clear.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash, ljs4HashBytes } from "../src/core/hash.js";
import { encryptList, parseListKey } from "../src/list/encryption.js";
import { cleanRoom, listedRoom, syntheticRdlist } from "./support/lookup-fixture.js";
import {
  lookupOperationsToken,
  spawnLookup,
  writeLookupConfig,
  type LookupProcess,
} from "./support/lookup-process.js";
import { pgDump } from "./support/pg-checks.js";
import { usePostgres, type PostgresHandle } from "./support/postgres.js";

const ROOT = new URL("..", import.meta.url).pathname;
const TSX = new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const BEARER = "audit-list-bearer-5e1f0c2b9a";
const PRESIGNED = "X-Audit-Signature=4d1c9b7e2a0f";
let dir: string;
let pgServer: PostgresHandle;
let pgUrl: string;
let listServer: Server;
let listMode: "good" | "plain" | "garbage" = "good";
const tokens: string[] = [];
let listKeyHex = "";
const artefacts: Array<{ where: string; bytes: Buffer }> = [];

/** Rooms 31..40: the HTTP source's part of the list. */
const secondList = () =>
  JSON.stringify(
    Array.from({ length: 10 }, (_, i) => ({
      report_id: `report-http-${i + 31}`,
      room: { room_id: listedRoom(i + 31) },
      report_info: { tags: ["csam"] },
    })),
  );

/**
 * Runs the CLI (asynchronously: the list server lives in this process); stderr, and stdout
 * unless it is a token, goes to dir/cli.log.
 */
async function redlight(args: string[], input?: string, configFile = "redlight.yaml") {
  const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "src/main.ts"), ...args], {
    cwd: dir,
    env: { ...process.env, REDLIGHT_CONFIG: join(dir, configFile) },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input ?? "");
  await new Promise((resolve) => child.once("close", resolve));
  const printsToken = args[0] === "clients" && (args[1] === "add" || args[1] === "rotate");
  appendFileSync(join(dir, "cli.log"), (printsToken ? "" : stdout) + stderr);
  return stdout.trim();
}

const put = (p: LookupProcess, token: string | undefined, body: unknown) =>
  fetch(`${p.apiUrl}/_matrix/loj/v1/abuse_lookup`, {
    method: "PUT",
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, text: await r.text() }));
const hashes = (room: string, user: string) => ({
  room_id_hash: ljs4Hash(room),
  user_id_hash: ljs4Hash(user),
});

/** Everything a client and the operator do against one running lookup process. */
async function scenario(p: LookupProcess, hs1: string, directory: string): Promise<void> {
  const user = "@audited:example.org";
  for (const n of [1, 2, 3, 35]) await put(p, hs1, hashes(listedRoom(n), user));
  await put(p, hs1, hashes(cleanRoom(1), "@someone:example.org"));
  await put(p, undefined, { ...hashes(listedRoom(4), "@body-token:example.org"), api_token: hs1 });
  await put(p, hs1, { ...hashes(listedRoom(5), "@x:example.org"), api_token: directory });
  await put(p, "Z".repeat(40), hashes(listedRoom(6), "@guess:example.org"));
  // A careless client sends plain ids instead of hashes: refused, and never echoed.
  const plain = await put(p, hs1, {
    room_id_hash: listedRoom(7),
    user_id_hash: "@plain:example.org",
  });
  expect(plain.status).toBe(400);
  expect(plain.text).not.toContain(listedRoom(7));
  await fetch(`${p.apiUrl}/_matrix/loj/v1/unfreeze`, {
    method: "POST",
    headers: { authorization: `Bearer ${hs1}` },
    body: JSON.stringify({ user_id_hash: ljs4Hash(user) }),
  });
  await fetch(`${p.apiUrl}/_matrix/loj/v1/check`, {
    method: "POST",
    headers: { authorization: `Bearer ${directory}` },
    body: JSON.stringify({ room_id_hashes: [8, 9, 33].map((n) => ljs4Hash(listedRoom(n))) }),
  });
  for (const mode of ["plain", "garbage", "good"] as const) {
    listMode = mode;
    const reloaded = await fetch(`${p.operationsUrl}/admin/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${lookupOperationsToken(dir)}` },
    });
    expect(reloaded.status).toBe(200);
  }
  // The SIGHUP reload is awaited in the log (both sources answer), not given a fixed while.
  const reloads = () => p.log().match(/"list source (loaded|failed; keeping its last good copy)"/g);
  const before = reloads()?.length ?? 0;
  p.child.kill("SIGHUP");
  await fetch(`${p.operationsUrl}/metrics`);
  for (let waited = 0; (reloads()?.length ?? 0) < before + 2; waited += 50) {
    if (waited > 120_000) throw new Error("the SIGHUP reload did not finish");
    await new Promise((r) => setTimeout(r, 50));
  }
  p.child.kill("SIGTERM");
  expect(await p.exited).toBe(0);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-audit-"));
  pgServer = await usePostgres();
  pgUrl = await pgServer.createDatabase();
  await redlight(["list", "keygen", "--out", "list.key"]);
  const keyParsed = parseListKey(readFileSync(join(dir, "list.key"), "utf8"));
  if (!keyParsed.ok) throw new Error(keyParsed.error);
  const key = keyParsed.value;
  listKeyHex = key.toString("hex");
  // The plain list goes through stdin only: it never touches the disk.
  await redlight(
    ["list", "encrypt", "--key", "list.key", "--out", "list.enc"],
    syntheticRdlist(30),
  );
  writeFileSync(join(dir, "list.bearer"), BEARER);
  listServer = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${BEARER}`) return void res.writeHead(401).end();
    if (listMode === "plain") return void res.writeHead(200).end(secondList());
    if (listMode === "garbage") return void res.writeHead(200).end(`[${secondList()}`);
    res.writeHead(200).end(encryptList(Buffer.from(secondList()), key));
  });
  await new Promise<void>((r) => listServer.listen(0, "127.0.0.1", r));
  const port = (listServer.address() as { port: number }).port;
  const sources = [
    { file: "./list.enc", encryption_key_file: "./list.key" },
    {
      url: `http://127.0.0.1:${port}/list.enc?${PRESIGNED}`,
      bearer_token_file: "./list.bearer",
      encryption_key_file: "./list.key",
    },
  ];
  writeLookupConfig({
    dir,
    database: "sqlite:./redlight.db",
    lookup: { sources },
    logLevel: "debug",
  });
  writeLookupConfig({
    dir,
    database: pgUrl,
    lookup: { sources },
    logLevel: "debug",
    configName: "pg.yaml",
  });
  await redlight(["list", "check"]);
  for (const config of ["redlight.yaml", "pg.yaml"]) {
    const hs1 = await redlight(["clients", "add", "hs1", "--tags", "csam"], undefined, config);
    const directory = await redlight(
      ["clients", "add", "dir", "--scope", "directory"],
      undefined,
      config,
    );
    tokens.push(hs1, directory);
    await redlight(["clients", "list"], undefined, config);
    const p = await spawnLookup(
      dir,
      config === "pg.yaml" ? "lookup-pg.log" : "lookup.log",
      120_000,
      config,
    );
    await scenario(p, hs1, directory);
    await redlight(["freezes", "list"], undefined, config);
    await redlight(
      ["freezes", "unfreeze", "--client", "hs1", "--user-id", "@audited:example.org"],
      undefined,
      config,
    );
    tokens.push(await redlight(["clients", "rotate", "hs1"], undefined, config));
  }
  for (const name of walk(dir)) artefacts.push({ where: name, bytes: readFileSync(name) });
  artefacts.push({ where: "pg_dump", bytes: Buffer.from(pgDump(pgUrl)) });
  if (pgServer.baseDir !== undefined) {
    const log = join(pgServer.baseDir, "postgres.log");
    artefacts.push({ where: "postgres.log", bytes: readFileSync(log) });
  }
  // A dozen CLI runs and two lookup processes through tsx, and PostgreSQL: minutes on a
  // busy two-core machine. Every step waits on its own condition; this only bounds a hang.
}, 900_000);

afterAll(async () => {
  listServer?.closeAllConnections();
  await new Promise((r) => listServer?.close(r));
  await pgServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function walk(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Where each needle occurs, by artefact (the files that hold a secret by design excluded). */
function findings(needles: ReadonlyArray<[string, Buffer]>, exempt: (where: string) => boolean) {
  const found: string[] = [];
  for (const { where, bytes } of artefacts) {
    if (exempt(where)) continue;
    for (const [what, needle] of needles)
      if (bytes.includes(needle)) found.push(`${what} in ${where}`);
  }
  return found;
}

describe("secrecy audit", () => {
  it("scanned the data folder, the database dumps and every log", () => {
    const names = artefacts.map((a) => a.where.replace(`${dir}/`, ""));
    expect(names).toEqual(
      expect.arrayContaining(["redlight.db", "lookup.log", "lookup-pg.log", "cli.log", "pg_dump"]),
    );
    // The scan finds what is there: the source URL sits in the config files by design.
    const canary = findings([["source URL", Buffer.from(PRESIGNED)]], () => false);
    expect(canary).toEqual(expect.arrayContaining([`source URL in ${dir}/redlight.yaml`]));
    console.log(`secrecy audit: source URL credential found in ${canary.join(", ")}`);
    console.log(
      `secrecy audit: ${artefacts.length} artefacts, ${artefacts.reduce((n, a) => n + a.bytes.length, 0)} bytes`,
    );
  });

  it("finds no listed room id, list hash, client token, list key or list bearer token in clear", () => {
    const needles: Array<[string, Buffer]> = [];
    for (let n = 1; n <= 40; n++) {
      const room = listedRoom(n);
      needles.push([`room id ${n}`, Buffer.from(room)]);
      needles.push([`room id ${n} (JSON-escaped)`, Buffer.from(JSON.stringify(room).slice(1, -1))]);
      needles.push([`list hash ${n}`, Buffer.from(ljs4Hash(room))]);
      needles.push([`list hash ${n} (raw)`, ljs4HashBytes(room)]);
      needles.push([
        `list hash ${n} (base64)`,
        Buffer.from(ljs4HashBytes(room).toString("base64")),
      ]);
    }
    tokens.forEach((t, i) => needles.push([`client token ${i}`, Buffer.from(t)]));
    needles.push(["list bearer token", Buffer.from(BEARER)]);
    needles.push(["list key", Buffer.from(listKeyHex)]);
    needles.push(["operations token", Buffer.from(lookupOperationsToken(dir))]);
    expect(tokens.every((t) => /^[A-Za-z0-9]{40}$/.test(t))).toBe(true);
    // The files that hold a secret by design.
    const exempt = (where: string) =>
      where.endsWith("list.bearer") ||
      where.endsWith("list.key") ||
      where.endsWith("operations-token");
    expect(findings(needles, exempt)).toEqual([]);
  });

  // The "effective configuration" log line once printed list source URLs whole, so a
  // credential in a query string (a presigned URL) reached the log.
  it("finds no credential from a list source URL's query string", () => {
    const exempt = (where: string) => where.endsWith(".yaml");
    expect(findings([["source URL credential", Buffer.from(PRESIGNED)]], exempt)).toEqual([]);
  });
});
