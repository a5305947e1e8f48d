/**
 * The README's first command: `redlight demo` sets up and runs lookup and guard together
 * on SQLite with a synthetic encrypted list, and its printed curl commands work.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const TSX = new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "redlight-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a printed `curl -i -X METHOD URL -H '…' -d '…'` line with fetch. */
async function runCurl(line: string): Promise<{ status: number; body: string }> {
  const m = /curl -i -X (\w+) (\S+) -H 'Authorization: Bearer (\w+)' -d '([^']+)'/.exec(line);
  if (!m) throw new Error(`not a curl line: ${line}`);
  const r = await fetch(m[2] as string, {
    method: m[1] as string,
    headers: { authorization: `Bearer ${m[3]}` },
    body: m[4] as string,
  });
  return { status: r.status, body: await r.text() };
}

describe("redlight demo", () => {
  it("runs lookup and guard, and the printed commands answer as it says", async () => {
    const child = spawn(
      process.execPath,
      ["--import", TSX, join(ROOT, "src/main.ts"), "demo", "--port", "28480"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    for (const until = Date.now() + 120_000; Date.now() < until && !out.includes("Ctrl-C stops");) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toContain("Ctrl-C stops");
    const curls = out.split("\n").filter((l) => l.trim().startsWith("curl "));
    expect(curls).toHaveLength(4);
    const [listed, clean, guardListed, guardClean] = await Promise.all(
      curls.map((l) => runCurl(l.trim())),
    );
    expect(listed?.status).toBe(200);
    expect(JSON.parse(listed?.body ?? "")).toMatchObject({ report_id: "demo-report-1" });
    expect(clean?.status).toBe(204);
    expect(guardListed?.status).toBe(403);
    expect(JSON.parse(guardListed?.body ?? "")).toMatchObject({ errcode: "M_FORBIDDEN" });
    expect(guardClean).toEqual({ status: 200, body: "{}" });
    // The list sits on disk only encrypted.
    const enc = readFileSync(join(dir, "data/demo/list.json.enc"));
    expect(enc.includes(Buffer.from("synthetic-0001"))).toBe(false);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 300_000);
});
