/**
 * Secret files open to group or others: the lookup service and the guard start anyway, but
 * say so — a warning per file in the log and a `warnings` entry in `/ready`, which stays 200
 * (readiness is about answering, not about file modes).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/observability/logger.js";
import { startGuard } from "../src/services/guard/main.js";
import { freePort, writeGuardConfig, writeGuardSecrets } from "./guard-fixture.js";
import { startLookupFixture, type LookupFixture } from "./support/lookup-fixture.js";

let dir: string;
let previousUmask: number;

beforeAll(() => {
  previousUmask = process.umask(0o022);
  dir = mkdtempSync(join(tmpdir(), "redlight-modes-"));
});
afterAll(() => {
  process.umask(previousUmask);
  rmSync(dir, { recursive: true, force: true });
});

/** A secret written the careless way: `echo … > file` under umask 022 gives 0644. */
function looseSecret(name: string, value: string): string {
  const path = join(dir, name);
  writeFileSync(path, `${value}\n`);
  chmodSync(path, 0o644);
  return path;
}

describe("a secret file readable by group or others", () => {
  let fx: LookupFixture | undefined;
  afterAll(async () => fx?.stop());

  it("makes the lookup service warn at start and in /ready, which stays 200", async () => {
    const loose = looseSecret("lookup-operations-token", "synthetic-operations-token-0001");
    fx = await startLookupFixture({ lookup: { operations_token_file: loose } });
    const log = readFileSync(fx.logFile, "utf8");
    expect(log).toMatch(/secret file is readable by group or others/);
    expect(log).toContain(loose);
    expect(log).not.toContain("synthetic-operations-token-0001");
    const ready = await fx.request("/ready");
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { warnings?: string[] };
    expect(body.warnings).toEqual([expect.stringMatching(/^1 secret file\(s\) readable by group/)]);
  });

  it("makes the guard warn at start and in /ready; owner-only files raise no warning", async () => {
    const guardDir = join(dir, "guard");
    writeGuardSecrets(guardDir, "synthetic-lookup-token-0001");
    chmodSync(join(guardDir, "secrets/antispam"), 0o640);
    const { config } = writeGuardConfig({
      dir: guardDir,
      lookupUrl: `http://127.0.0.1:${await freePort()}`,
      lookupToken: "synthetic-lookup-token-0001",
      homeserverUrl: `http://127.0.0.1:${await freePort()}`,
      guardPort: await freePort(),
      operationsPort: await freePort(),
    });
    const logFile = join(guardDir, "guard.log");
    const logger = createLogger("info", "guard", pino.destination({ dest: logFile, sync: true }));
    const guard = await startGuard(config, logger);
    try {
      const log = readFileSync(logFile, "utf8");
      const warned = log.split("\n").filter((l) => l.includes("readable by group or others"));
      // Only the antispam secret: the others were written 0600.
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain(join(guardDir, "secrets/antispam"));
      const ready = await fetch(`${guard.url}/ready`);
      const body = (await ready.json()) as { warnings?: string[] };
      expect(body.warnings).toEqual([expect.stringMatching(/^1 secret file\(s\) readable/)]);
    } finally {
      await guard.stop();
    }
  });
});
