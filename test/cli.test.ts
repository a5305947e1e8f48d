/**
 * The redlight CLI as an operator uses it: real processes, real files, real signals.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli } from "./support/cli.js";
import { ljs4Hash } from "../src/core/hash.js";
import { freePort } from "./guard-fixture.js";
import { listedRoom, syntheticRdlist } from "./support/lookup-fixture.js";

const ROOT = new URL("..", import.meta.url).pathname;
// Run the CLI from source through tsx's loader (absolute: the CLI runs in a temp folder).
const TSX = new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
let dir: string;
let configFile: string;

function redlight(args: string[], input?: string) {
  return runCli(args, {
    cwd: dir,
    ...(input === undefined ? {} : { input }),
    env: { ...process.env, REDLIGHT_CONFIG: configFile },
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "redlight-cli-"));
  configFile = join(dir, "redlight.yaml");
  writeFileSync(
    configFile,
    stringify({
      database: "sqlite:./redlight.db",
      lookup: {
        listen: "127.0.0.1:0",
        metrics_listen: "127.0.0.1:0",
        filtered_tags: ["csam", "spam"],
        sources: [{ file: "./list.enc", encryption_key_file: "./list.key" }],
      },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every test runs the CLI as processes through tsx (a second or two each on a quiet machine,
// many more on a busy one): a deadline per test that only bounds a hang.
describe("redlight CLI", { timeout: 300_000 }, () => {
  it("prints the LJS-4 hash of an id", async () => {
    const r = await redlight(["hash", "!kfGzEsVtwINSAPopXA:perthchat.org"]);
    expect(r.stdout).toBe("ee180279a57f716e5801335a2914e228667f363e460ccabcc49e8fd879e1be4a\n");
  });

  it("prints a new client's token alone on stdout, and never lists it", async () => {
    const add = await redlight([
      "clients",
      "add",
      "hs1",
      "--tags",
      "csam",
      "--allow-ip",
      "127.0.0.1",
    ]);
    expect(add.status).toBe(0);
    expect(add.stdout).toMatch(/^[A-Za-z0-9]{40}\n$/);
    const token = add.stdout.trim();
    expect((await redlight(["clients", "add", "hs1"])).status).toBe(2);
    const list = await redlight(["clients", "list"]);
    expect(list.stdout).toContain("hs1\tactive\ttags=csam\tallow_ip=127.0.0.1");
    expect(list.stdout + list.stderr).not.toContain(token);
    const rotated = await redlight(["clients", "rotate", "hs1"]);
    expect(rotated.stdout).toMatch(/^[A-Za-z0-9]{40}\n$/);
    expect(rotated.stdout.trim()).not.toBe(token);
    expect(readFileSync(join(dir, "redlight.db")).includes(Buffer.from(token))).toBe(false);
  });

  it("writes tokens and keys owner-only under umask 022: clients add/rotate --out, list keygen", async () => {
    const previous = process.umask(0o022); // the CLI inherits it
    try {
      const mode = (name: string) => statSync(join(dir, name)).mode & 0o777;
      const add = await redlight(["clients", "add", "hs-out", "--out", "tokens/hs-out.token"]);
      expect(add.status).toBe(0);
      expect(add.stdout).toBe(""); // the token went to the file only
      expect(readFileSync(join(dir, "tokens/hs-out.token"), "utf8")).toMatch(/^[A-Za-z0-9]{40}\n$/);
      expect(mode("tokens")).toBe(0o700);
      expect(mode("tokens/hs-out.token")).toBe(0o600);
      // Rotating into a file someone left world-readable makes it owner-only first.
      writeFileSync(join(dir, "rotated.token"), "old\n", { mode: 0o644 });
      expect(
        (await redlight(["clients", "rotate", "hs-out", "--out", "rotated.token"])).status,
      ).toBe(0);
      expect(mode("rotated.token")).toBe(0o600);
      expect(readFileSync(join(dir, "rotated.token"), "utf8")).not.toBe("old\n");
      expect((await redlight(["list", "keygen", "--out", "mode.key"])).status).toBe(0);
      expect(mode("mode.key")).toBe(0o600);
      expect(mode("redlight.db")).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it("rejects bad input to clients add with exit code 2 and a clear message", async () => {
    expect((await redlight(["clients", "add", "bad name"])).stderr).toMatch(/client name/);
    expect((await redlight(["clients", "add", "x", "--allow-ip", "300.1.2.3"])).stderr).toMatch(
      /not an IP/,
    );
    expect((await redlight(["clients", "add", "x", "--scope", "everything"])).status).toBe(2);
    expect((await redlight(["clients", "revoke", "nobody"])).status).toBe(2);
  });

  it("rejects a config with an unknown key, naming it", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "lookup:\n  listn: 127.0.0.1:1\n");
    const r = await redlight(["clients", "list", "--config", bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unrecognized key: "listn"/);
  });

  it("encrypts a list from stdin; check loads it; a wrong key fails", async () => {
    expect((await redlight(["list", "keygen", "--out", "list.key"])).status).toBe(0);
    const plain = syntheticRdlist(5);
    const enc = await redlight(
      ["list", "encrypt", "--key", "list.key", "--out", "list.enc"],
      plain,
    );
    expect(enc.status).toBe(0);
    expect(readFileSync(join(dir, "list.enc")).includes(Buffer.from(listedRoom(1)))).toBe(false);
    const check = await redlight(["list", "check"]);
    expect(check.stderr).toMatch(/6 rooms, 0 invalid entries skipped, tags: csam, spam/);
    expect(check.stderr).not.toContain(listedRoom(1));
    writeFileSync(join(dir, "other.key"), "ab".repeat(32));
    const wrong = join(dir, "wrong.yaml");
    writeFileSync(wrong, readFileSync(configFile, "utf8").replace("./list.key", "./other.key"));
    const r = await redlight(["list", "check", "--config", wrong]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/failed authentication/);
  });

  it("runs the lookup service: SIGHUP reloads, SIGTERM drains and exits 0", async () => {
    await redlight(["clients", "add", "svc"]);
    const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "src/main.ts"), "lookup"], {
      cwd: dir,
      env: { ...process.env, REDLIGHT_CONFIG: configFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const waitFor = async (re: RegExp) => {
      // Generous for a busy machine (tsx compiles at start); ends as soon as the line is there.
      for (const until = Date.now() + 120_000; Date.now() < until && !re.test(log);)
        await new Promise((r) => setTimeout(r, 50));
      expect(log).toMatch(re);
    };
    await waitFor(/lookup service listening/);
    const plain = syntheticRdlist(9);
    await redlight(["list", "encrypt", "--key", "list.key", "--out", "list.enc"], plain);
    child.kill("SIGHUP");
    await waitFor(/"entries":10/);
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(log).toMatch(/lookup service stopped/);
    expect(log).not.toContain(listedRoom(1));
    expect(log).not.toContain(ljs4Hash(listedRoom(1)));
  });

  it("list reload sends the operations token to a running lookup service, and needs one", async () => {
    const none = await redlight(["list", "reload"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/lookup\.operations_token_file/);
    const opsPort = await freePort();
    const withToken = join(dir, "ops.yaml");
    writeFileSync(join(dir, "ops-token"), "synthetic-operations-token-0002\n", { mode: 0o600 });
    writeFileSync(
      withToken,
      stringify({
        database: "sqlite:./redlight.db",
        lookup: {
          listen: "127.0.0.1:0",
          metrics_listen: `127.0.0.1:${opsPort}`,
          operations_token_file: "./ops-token",
          sources: [{ file: "./list.enc", encryption_key_file: "./list.key" }],
        },
      }),
    );
    const child = spawn(
      process.execPath,
      ["--import", TSX, join(ROOT, "src/main.ts"), "lookup", "--config", withToken],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      for (let i = 0; i < 600 && !log.includes("lookup service listening"); i++)
        await new Promise((r) => setTimeout(r, 50));
      const r = await redlight(["list", "reload", "--config", withToken]);
      expect(r.stderr).toMatch(/reloaded: \d+ rooms in service/);
      expect(r.status).toBe(0);
      writeFileSync(join(dir, "ops-token"), "not-the-token\n", { mode: 0o600 });
      const wrong = await redlight(["list", "reload", "--config", withToken]);
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toMatch(/HTTP 401/);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    expect(log).not.toContain("synthetic-operations-token-0002");
  });

  it("refuses to serve without a list source", async () => {
    const empty = join(dir, "empty.yaml");
    writeFileSync(empty, "lookup:\n  listen: 127.0.0.1:0\n");
    const r = await redlight(["lookup", "--config", empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/lookup.sources is empty/);
  });

  it("lists and lifts freezes", async () => {
    const none = await redlight(["freezes", "list"]);
    expect(none.status).toBe(0);
    expect(none.stderr).toMatch(/no active freezes/);
    const r = await redlight([
      "freezes",
      "unfreeze",
      "--client",
      "hs1",
      "--user-id",
      "@nobody:example.org",
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no freeze/);
  });
});
