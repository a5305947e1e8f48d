/**
 * The README's first command: `redlight demo` sets up and runs lookup and guard together
 * on SQLite with a synthetic encrypted list, and its printed curl commands work.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const TSX = new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "redlight-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a printed `curl -i -X METHOD URL [-H '…']… [-d '…']` line with fetch. */
async function runCurl(line: string): Promise<{ status: number; body: string }> {
  const m = /^curl -i -X (\w+) (\S+)((?: -H '[^']+')*)(?: -d '([^']+)')?$/.exec(line);
  if (!m) throw new Error(`not a curl line: ${line}`);
  const headers: Record<string, string> = {};
  for (const [, name, value] of (m[3] ?? "").matchAll(/-H '([^:]+): ([^']+)'/g))
    headers[(name as string).toLowerCase()] = value as string;
  const r = await fetch(m[2] as string, {
    method: m[1] as string,
    headers,
    ...(m[4] === undefined ? {} : { body: m[4] }),
  });
  return { status: r.status, body: await r.text() };
}

describe("redlight demo", () => {
  it("runs lookup and guard, and the printed commands answer as it says", async () => {
    // Under the usual umask the demo's folder, database and secrets must still be owner-only.
    const previous = process.umask(0o022);
    const child = spawn(
      process.execPath,
      ["--import", TSX, join(ROOT, "src/main.ts"), "demo", "--port", "28480"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    process.umask(previous);
    let out = "";
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    for (const until = Date.now() + 120_000; Date.now() < until && !out.includes("Ctrl-C stops");) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toContain("Ctrl-C stops");
    const curls = out.split("\n").filter((l) => l.trim().startsWith("curl "));
    expect(curls).toHaveLength(6);
    const [listed, clean, guardListed, guardClean, reload, unfreeze] = await Promise.all(
      curls.map((l) => runCurl(l.trim())),
    );
    expect(listed?.status).toBe(200);
    expect(JSON.parse(listed?.body ?? "")).toMatchObject({ report_id: "demo-report-1" });
    expect(clean?.status).toBe(204);
    expect(guardListed?.status).toBe(403);
    expect(JSON.parse(guardListed?.body ?? "")).toMatchObject({ errcode: "M_FORBIDDEN" });
    expect(guardClean).toEqual({ status: 200, body: "{}" });
    // The operations endpoints answer the printed commands, which carry the token.
    expect(reload?.status).toBe(200);
    expect(JSON.parse(reload?.body ?? "")).toMatchObject({ entries: 1000 });
    expect(unfreeze?.status).toBe(200);
    expect(JSON.parse(unfreeze?.body ?? "")).toMatchObject({ unfrozen: false });
    const mode = (name: string) => statSync(join(dir, "data/demo", name)).mode & 0o777;
    for (const folder of ["", "secrets"]) expect(mode(folder), folder).toBe(0o700);
    for (const file of ["redlight.db", "redlight.db-wal", "list.json.enc", "secrets/list.key"])
      expect(mode(file), file).toBe(0o600);
    for (const secret of ["antispam", "pseudonym", "lookup-token", "operations-token"])
      expect(mode(`secrets/${secret}`), secret).toBe(0o600);
    // The list sits on disk only encrypted.
    const enc = readFileSync(join(dir, "data/demo/list.json.enc"));
    expect(enc.includes(Buffer.from("synthetic-0001"))).toBe(false);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 300_000);
});
