/**
 * `redlight policy status` as an operator runs it (a real process) against a stand-in
 * homeserver holding a policy room: counts by kind and recommendation, skips by reason,
 * the read time — and no entity a rule names. Synthetic ids only.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PolicyRoomStandIn } from "./support/policy-room-stand-in.js";

const ROOT = new URL("..", import.meta.url).pathname;
const TSX = new URL("../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const POLICY = "!synthetic-policy-a:example.org";
const ALIAS = "#synthetic-bans:example.org";
const ROOM_1 = "!synthetic-0001:example.org";
const SPAMMER = "@spammer-0001:example.org";

let hs: PolicyRoomStandIn;
let dir: string;

/** Runs the CLI without blocking this process (the stand-in answers from here). */
function redlight(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "src/main.ts"), ...args], {
      cwd: dir,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  hs = new PolicyRoomStandIn();
  hs.createRoom(POLICY, ALIAS);
  hs.joined.add(POLICY);
  hs.sendState(POLICY, "m.policy.rule.room", "r1", {
    entity: ROOM_1,
    recommendation: "m.takedown",
  });
  hs.sendState(POLICY, "m.policy.rule.room", "g", {
    entity: "!*:example.org",
    recommendation: "m.ban",
  });
  hs.sendState(POLICY, "m.policy.rule.user", "u1", { entity: SPAMMER, recommendation: "m.ban" });
  await hs.start();
  dir = mkdtempSync(join(tmpdir(), "redlight-policy-cli-"));
  writeFileSync(join(dir, "reader-token"), hs.token, { mode: 0o600 });
  const config = (rooms: string[]) =>
    stringify({
      database: "sqlite:./redlight.db",
      lookup: {
        sources: [
          {
            policy_room: {
              homeserver_url: hs.baseUrl,
              access_token_file: "./reader-token",
              rooms,
              recommendation_tags: { takedown: ["csam"] },
            },
          },
        ],
      },
    });
  writeFileSync(join(dir, "redlight.yaml"), config([ALIAS]));
  writeFileSync(join(dir, "missing.yaml"), config(["#synthetic-gone:example.org"]));
});

afterAll(async () => {
  await hs.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("redlight policy status", { timeout: 120_000 }, () => {
  it("prints counts, skips and the read time of each followed room, never an entity", async () => {
    const r = await redlight(["policy", "status", "--config", join(dir, "redlight.yaml")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(""); // human output goes to stderr
    expect(r.stderr).toContain(`${ALIAS} (${POLICY}): following`);
    expect(r.stderr).toContain("rules: room takedown 1, user ban 1");
    expect(r.stderr).toContain("skipped: glob 1");
    expect(r.stderr).toMatch(/last read: \d{4}-\d\d-\d\dT/);
    for (const entity of [ROOM_1, SPAMMER, "!*:example.org", hs.token])
      expect(r.stderr).not.toContain(entity);
  });

  it("says which room cannot be read, and fails", async () => {
    const r = await redlight(["policy", "status", "--config", join(dir, "missing.yaml")]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("degraded: alias: not found");
    expect(r.stderr).toContain("1 policy room(s) could not be read");
  });
});
