import { describe, expect, it } from "vitest";
import { ok } from "../../../core/result.js";
import { SweepSchedule } from "./sweep-schedule.js";
import { emptyReport, type SweepReport } from "./sweep-report.js";

/** Polls `condition` until it holds (generous deadline, no fixed sleeps). */
async function until(condition: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !condition();) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("SweepSchedule", () => {
  it("sweeps at start, again when the list version changes, never two at once", async () => {
    let version = "v1";
    let running = 0;
    let overlapped = false;
    let sweeps = 0;
    let release: (() => void) | undefined;
    const reports: SweepReport[] = [];
    const schedule = new SweepSchedule({
      sweep: async () => {
        running++;
        overlapped ||= running > 1;
        sweeps++;
        await new Promise<void>((r) => (release = r));
        running--;
        return emptyReport(false);
      },
      lookup: { listVersion: async () => ok(version) },
      intervalMs: 3_600_000,
      pollMs: 3_600_000,
      runInBackground: (_name, fn) => void fn(),
      onReport: (r) => reports.push(r),
    });
    schedule.start();
    await until(() => sweeps === 1);
    await schedule.poll(); // same version: nothing new
    schedule.trigger(); // during the sweep: one more after it
    schedule.trigger();
    release?.();
    await until(() => sweeps === 2);
    release?.();
    await until(() => reports.length === 2);
    await schedule.poll();
    expect(sweeps).toBe(2);
    version = "v2";
    await schedule.poll();
    await until(() => sweeps === 3);
    release?.();
    await until(() => reports.length === 3);
    await schedule.stop();
    expect(overlapped).toBe(false);
  });
});
