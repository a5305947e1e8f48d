/**
 * Reports up to the provider (docs/reports.md), over real HTTP against an in-process lookup
 * service on SQLite: a client with the `report` scope files a room and polls its state;
 * the review queue keeps the room id and reason sealed (never in the database or the log
 * in clear); `redlight reports accept` lists the room at the next reload; bad input is
 * refused with LJS-4 errors and nothing queued.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptReport, listReports, rejectReport } from "../src/cli/reports.js";
import { generateListKey } from "../src/list/encryption.js";
import { openStorage } from "../src/storage/open.js";
import { readLog, startLookupFixture, type LookupFixture } from "./support/lookup-fixture.js";

const REPORT = "/_matrix/loj/v1/report";
const REPORTED = "!synthetic-reported-0001:example.org";
const OTHER = "!synthetic-reported-0002:example.org";
const REASON = "quokkaberry trading room";

let fx: LookupFixture;
let keys: string;
let configFile: string;

beforeAll(async () => {
  keys = mkdtempSync(join(tmpdir(), "redlight-report-keys-"));
  writeFileSync(join(keys, "list.key"), generateListKey(), { mode: 0o600 });
  const reports = {
    encryption_key_file: join(keys, "list.key"),
    list_file: join(keys, "reports.json.enc"),
    refresh: "1h",
  };
  fx = await startLookupFixture({
    clients: [
      { name: "hs1", scopes: ["report"] },
      { name: "hs2", scopes: ["report"] },
      { name: "plain" },
    ],
    lookup: { reports, rate_limits: { report: { requests: 3, per: "1h" } } },
  });
  // The CLI reads the same database and key through a config file.
  configFile = join(keys, "config.yaml");
  writeFileSync(
    configFile,
    JSON.stringify({
      database: `sqlite:${join(fx.dir, "redlight.db")}`,
      lookup: { filtered_tags: ["csam", "spam"], reports },
    }),
  );
});
afterAll(async () => {
  await fx.stop();
  rmSync(keys, { recursive: true, force: true });
});

const file = (token: string | undefined, body: unknown) =>
  fx.request(REPORT, {
    method: "POST",
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const status = (token: string, ref: string) =>
  fx.request(`${REPORT}/${encodeURIComponent(ref)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
const tokenOf = (name: string) => fx.tokens[name] as string;

async function errcode(r: Response): Promise<string> {
  const body = (await r.json()) as { error: { errcode: string } };
  return body.error.errcode;
}

async function queued(): Promise<number> {
  const storage = await openStorage(`sqlite:${join(fx.dir, "redlight.db")}`);
  try {
    return (await storage.listReviewReports()).length;
  } finally {
    await storage.close();
  }
}

describe("reports up to the provider", () => {
  it("refuses bad input, a missing scope and no token, and queues nothing", async () => {
    const hs1 = tokenOf("hs1");
    expect(await errcode(await file(undefined, { room_id: REPORTED, reason: "x" }))).toBe(
      "M_MISSING_TOKEN",
    );
    const noScope = await file(tokenOf("plain"), { room_id: REPORTED, reason: "x" });
    expect(noScope.status).toBe(403);
    expect(await errcode(noScope)).toBe("M_FORBIDDEN");
    for (const body of [
      "{not json",
      { reason: "no room" },
      { room_id: "not-a-room", reason: "x" },
      { room_id: REPORTED },
      { room_id: REPORTED, reason: "x".repeat(1001) },
      { room_id: REPORTED, reason: "x", tags: ["CSAM!"] },
      { room_id: REPORTED, reason: "x", tags: "csam" },
    ]) {
      const r = await file(hs1, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(["M_NOT_JSON", "M_BAD_JSON"]).toContain(await errcode(r));
    }
    const huge = await file(hs1, { room_id: REPORTED, reason: "x".repeat(20_000) });
    expect(huge.status).toBe(413);
    expect(await queued()).toBe(0);
  });

  it("files a report (202 and a ref), shows its state only to its client, and seals it at rest", async () => {
    const r = await file(tokenOf("hs1"), { room_id: REPORTED, reason: REASON, tags: ["csam"] });
    expect(r.status).toBe(202);
    const { report_ref: ref } = (await r.json()) as { report_ref: string };
    expect(ref).toMatch(/^rr_/);
    const mine = await status(tokenOf("hs1"), ref);
    expect(mine.status).toBe(200);
    expect(await mine.json()).toEqual({ report_ref: ref, state: "pending" });
    const theirs = await status(tokenOf("hs2"), ref);
    expect(theirs.status).toBe(404);
    expect(await errcode(theirs)).toBe("M_NOT_FOUND");
    expect((await status(tokenOf("hs1"), "rr_unknownunknownunknown")).status).toBe(404);

    const database = readdirSync(fx.dir)
      .filter((n) => n.startsWith("redlight.db"))
      .map((n) => readFileSync(join(fx.dir, n)).toString("latin1"))
      .join("");
    for (const secret of [REPORTED, "quokkaberry"]) {
      expect(database).not.toContain(secret);
      expect(readLog(fx)).not.toContain(secret);
    }
  });

  it("accepting lists the room at the next reload; the reporter hears accepted with the tags", async () => {
    const filed = await file(tokenOf("hs2"), { room_id: OTHER, reason: REASON });
    const { report_ref: ref } = (await filed.json()) as { report_ref: string };
    expect((await fx.lookup(tokenOf("hs1"), OTHER, "@a:example.org")).status).toBe(204);
    await acceptReport(ref, { config: configFile, tags: "csam" });
    await expect(acceptReport(ref, { config: configFile, tags: "csam" })).rejects.toThrow(
      /already accepted/,
    );
    await expect(rejectReport("rr_missingmissingmissing", { config: configFile })).rejects.toThrow(
      /no report/,
    );
    await expect(acceptReport(ref, { config: configFile, tags: "" })).rejects.toThrow(/--tags/);
    expect(readFileSync(join(keys, "reports.json.enc")).toString("latin1")).not.toContain(OTHER);
    expect((await fx.lookup(tokenOf("hs1"), OTHER, "@a:example.org")).status).toBe(204);
    await fx.handle.reload();
    const hit = await fx.lookup(tokenOf("hs1"), OTHER, "@a:example.org");
    expect(hit.status).toBe(200);
    expect(await hit.json()).toMatchObject({ report_id: ref, tags: ["csam"] });
    expect(await (await status(tokenOf("hs2"), ref)).json()).toEqual({
      report_ref: ref,
      state: "accepted",
      tags: ["csam"],
    });
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => out.push(chunk) > 0;
    try {
      await listReports({ config: configFile });
    } finally {
      process.stdout.write = write;
    }
    expect(out.join("")).toContain(`${ref}\taccepted\ths2`);
    expect(out.join("")).not.toContain(OTHER);
  });

  it("rejects a report; the reporter hears rejected; the quota holds per client", async () => {
    const filed = await file(tokenOf("hs2"), { room_id: REPORTED, reason: "again" });
    expect(filed.status).toBe(202);
    const { report_ref: ref } = (await filed.json()) as { report_ref: string };
    await rejectReport(ref, { config: configFile });
    expect(await (await status(tokenOf("hs2"), ref)).json()).toEqual({
      report_ref: ref,
      state: "rejected",
    });
    expect((await file(tokenOf("hs2"), { room_id: REPORTED, reason: "third" })).status).toBe(202);
    const over = await file(tokenOf("hs2"), { room_id: REPORTED, reason: "fourth" });
    expect(over.status).toBe(429);
    expect(await errcode(over)).toBe("M_LIMIT_EXCEEDED");
  });
});
