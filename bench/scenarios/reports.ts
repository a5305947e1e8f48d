/**
 * Scenario 7: reports into the alert room. A stand-in of Synapse's event report admin API
 * on loopback (its paging: newest first, `from` offset, `next_token`) holds a burst of new
 * reports; one pass of the guard's poller reads them, checks their rooms (an in-process
 * answer), records them with the cursor in the guard's SQLite database and hands one alert
 * each to a counting sink. Baseline, same run: reading the same pages only. The ratio is
 * what recording and alerting add to reading Synapse.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import type { RoomId } from "../../src/core/ids.js";
import { GuardReports } from "../../src/services/guard/reports/guard-reports.js";
import { SynapseReports } from "../../src/services/guard/reports/synapse-reports.js";
import { matrixCaller } from "../../src/services/guard/synapse/matrix-http.js";
import { Cursors, openGuardDatabase } from "../../src/storage/guard-database.js";
import { scenarioDir, type BenchContext } from "../context.js";
import { num, times, type ScenarioResult } from "../report.js";

/** Serves `count` synthetic event reports as Synapse's admin API pages them. */
async function reportServer(count: number) {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: count - i,
    received_ts: 1_700_000_000_000 + count - i,
    room_id: `!synthetic-${String((count - i) % 500).padStart(4, "0")}:example.org`,
    event_id: `$synthetic-event-${count - i}`,
    user_id: "@reporter:example.org",
    sender: "@sender:example.org",
    reason: "synthetic quokkaberry report",
  }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const from = Number(url.searchParams.get("from") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? 100);
    const page = url.pathname.endsWith("/event_reports") ? rows.slice(from, from + limit) : [];
    const total = url.pathname.endsWith("/event_reports") ? rows.length : 0;
    const field = url.pathname.endsWith("/event_reports") ? "event_reports" : "user_reports";
    const next = from + limit < total ? { next_token: from + page.length } : {};
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ [field]: page, total, ...next }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** Runs scenario 7. */
export async function reportsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.log("7. reports into the alert room");
  const count = ctx.mode === "quick" ? 1_000 : 5_000;
  const server = await reportServer(count);
  const synapse = new SynapseReports(matrixCaller(server.url, "synthetic-admin", 30_000));
  const passMs: number[] = [];
  const readMs: number[] = [];
  let alerts = 0;
  try {
    for (let round = 0; round < ctx.timing.reps + 1; round++) {
      const db = await openGuardDatabase(
        `sqlite:${join(scenarioDir(ctx, `reports-${round}`), "guard.db")}`,
      );
      try {
        await new Cursors(db).set("reports.event", "0", 0);
        await new Cursors(db).set("reports.user", "0", 0);
        const reports = new GuardReports({
          db,
          synapse,
          check: async (rooms: readonly RoomId[]) => ({
            kind: "checked",
            listed: new Map(
              rooms
                .filter((r) => r.endsWith("0000:example.org"))
                .map((r) => [r, { reportId: "synthetic", tags: ["csam"] }]),
            ),
          }),
          alerts: { post: () => void alerts++ },
          logger: pino({ level: "silent" }),
          now: () => Date.now(),
        });
        const readStart = performance.now();
        const read = await synapse.newer("event", 0);
        const readEnd = performance.now();
        if (!read.ok || read.value.length !== count) throw new Error("the stand-in did not answer");
        const passStart = performance.now();
        await reports.pass();
        const passEnd = performance.now();
        // Round 0 warms up (JIT, connections).
        if (round > 0) {
          readMs.push(readEnd - readStart);
          passMs.push(passEnd - passStart);
        }
      } finally {
        await db.close();
      }
    }
  } finally {
    server.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const pass = median(passMs);
  const read = median(readMs);
  const perReport = pass / count;
  return {
    id: "reports",
    title: "7. reports into the alert room",
    status: "measured",
    note:
      `${num(count)} new event reports in one poll pass (pages of 100 from a loopback stand-in ` +
      `of Synapse's admin API), rooms checked in batches, recorded with the cursor in one SQLite ` +
      `transaction, ${num(alerts / (ctx.timing.reps + 1))} alerts handed over per pass.`,
    rows: [
      {
        measure: `one pass over ${num(count)} reports`,
        value: `${num(pass, 1)} ms`,
        baseline: `${num(read, 1)} ms (reading the pages only)`,
        ratio: times(pass / read),
      },
      { measure: "per report", value: `${num(perReport * 1000, 0)} µs` },
    ],
    figures: { count, passMs: pass, perReportMs: perReport },
    baseline: { readMs: read },
    ratio: { pass: pass / read },
  };
}
