/**
 * Scenario 5: term matching. Normalised search strings per second against a 1,000-term list
 * (src/core/text TermMatcher), and plain Set lookups of the lower-cased strings as the
 * same-run baseline, measured in a child process (terms-child.ts). Then the cost per
 * character of hostile texts against ordinary words through the same matcher.
 */
import type { BenchContext } from "../context.js";
import { runJsonChild, tsxArgs } from "../processes.js";
import { num, times, type ScenarioResult } from "../report.js";

interface PerChar {
  readonly nsPerChar: number;
  readonly unitsPerChar: number;
}
interface HostileFigures {
  readonly name: string;
  readonly chars: number;
  readonly hostile: PerChar;
  readonly benign: PerChar;
}
interface TermFigures {
  readonly terms: number;
  readonly searches: number;
  readonly matcherPerSecond: number;
  readonly setPerSecond: number;
  readonly matcherHits: number;
  readonly setHits: number;
  readonly hostile: readonly HostileFigures[];
}

/** Runs scenario 5. */
export async function termsScenario(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.log("5. term matching");
  const seconds = ctx.mode === "quick" ? 1 : 3;
  const f = await runJsonChild<TermFigures>([
    ...tsxArgs("bench/terms-child.ts"),
    String(ctx.timing.reps),
    String(seconds),
  ]);
  const ratio = f.matcherPerSecond / f.setPerSecond;
  return {
    id: "term-matching",
    title: "5. term matching",
    status: "measured",
    note:
      `${num(f.terms)} made-up terms, ${num(f.searches)} benign search strings of 1–4 words, ` +
      `about 10% containing a term and 20% of words disguised. The matcher found ` +
      `${num(f.matcherHits)}, the plain Set ${num(f.setHits)}: the difference is the evasions ` +
      "it undoes.",
    rows: [
      {
        measure: "search strings/s",
        value: num(f.matcherPerSecond),
        baseline: `${num(f.setPerSecond)} (Set of lower-cased words)`,
        ratio: times(ratio),
      },
      {
        measure: "time per search string",
        value: `${num(1e6 / f.matcherPerSecond, 2)} µs`,
        baseline: `${num(1e6 / f.setPerSecond, 2)} µs`,
      },
      ...f.hostile.map((h) => ({
        measure: `${h.name}: per character (work units)`,
        value: `${num(h.hostile.nsPerChar, 0)} ns (${num(h.hostile.unitsPerChar, 1)})`,
        baseline: `${num(h.benign.nsPerChar, 0)} ns (${num(h.benign.unitsPerChar, 1)}), ordinary words`,
        ratio: times(h.hostile.nsPerChar / h.benign.nsPerChar),
      })),
    ],
    figures: { ...f },
    baseline: { setPerSecond: f.setPerSecond },
    ratio: { perSecond: ratio },
  };
}
