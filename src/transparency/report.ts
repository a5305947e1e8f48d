/**
 * The transparency report: counts only, for one period, shaped after the EU Digital
 * Services Act's harmonised templates (Commission Implementing Regulation (EU) 2024/2835,
 * Annex I) where they apply — notices received by type, own-initiative actions by category
 * and by automated means, suspensions and their reversals, median time from notice to
 * action — plus what only Redlight knows: joins and invites refused, searches redirected,
 * periods in which the lookup service did not answer. Pure: the inputs are sums already
 * read from a guard's decisions log or a provider's audit trail.
 */

/** A count by key. */
export type Tally = Readonly<Record<string, number>>;

/** The period, in whole UTC days: `from` and `to` inclusive. */
export interface Period {
  readonly from: string;
  readonly to: string;
}

/** A report, as written to report.json. */
export interface TransparencyReport {
  readonly service: "guard" | "lookup";
  readonly period: Period;
  readonly template: string;
  /** DSA template: notices (reports by users) received, by type. */
  readonly notices_received: { readonly total: number; readonly by_type: Tally };
  /** DSA template: actions taken on notices (by moderators, or by the provider on an escalation). */
  readonly actions_on_notices: { readonly total: number; readonly by_action: Tally };
  /** DSA template: actions taken on the service's own initiative. */
  readonly own_initiative_actions: {
    readonly total: number;
    /** By the content category (list tag or MSC4456 harm); an action with two tags counts under both. */
    readonly by_category: Tally;
    readonly by_action: Tally;
    readonly automated: number;
    readonly not_automated: number;
  };
  /** DSA template: account restrictions (Redlight's freezes) and their reversals. */
  readonly suspensions: { readonly imposed: number; readonly reversed: number };
  /**
   * DSA template: median hours from a notice to the first action on it, over the notices
   * received in the period that were acted on; null when none was (or nothing is recorded).
   */
  readonly median_hours_notice_to_action: number | null;
  /** What only Redlight knows. */
  readonly redlight: Tally & {
    readonly fail_open_periods: number;
    readonly fail_open_minutes: number;
  };
  /** Actions per month (YYYY-MM), for the chart. */
  readonly by_month: Readonly<Record<string, Tally>>;
  /** What the report cannot say, in words. */
  readonly notes: readonly string[];
}

/** The regulation the report follows, as named in each report. */
export const TEMPLATE =
  "Shaped after the harmonised transparency reporting templates of Commission Implementing Regulation (EU) 2024/2835 (Annex I), where they apply to a Matrix homeserver or list provider.";

/** Parses `YYYY-MM-DD` as a UTC day; answers its start in Unix ms. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Rejects 2026-02-30 and the like, which Date.UTC would roll over.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return ms;
}

/** `[from, to)` in Unix ms of a period given as days (inclusive), or why it is not one. */
export function periodBounds(
  from: string,
  to: string,
): { ok: true; start: number; end: number } | { ok: false; error: string } {
  const start = parseDay(from);
  const last = parseDay(to);
  if (start === undefined)
    return { ok: false, error: `--from ${from}: expected a date YYYY-MM-DD` };
  if (last === undefined) return { ok: false, error: `--to ${to}: expected a date YYYY-MM-DD` };
  if (last < start) return { ok: false, error: `--to ${to} is before --from ${from}` };
  return { ok: true, start, end: last + 86_400_000 };
}

/** The month (`YYYY-MM`) of a time. */
export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/**
 * The median of the delays from notice to action, in hours rounded to 0.01; null for none.
 * An even count takes the mean of the two middle delays.
 */
export function medianHours(delaysMs: readonly number[]): number | null {
  if (delaysMs.length === 0) return null;
  const sorted = [...delaysMs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const ms =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round((ms / 3_600_000) * 100) / 100;
}

/** Adds `n` under `key`. */
export function add(tally: Record<string, number>, key: string, n: number): void {
  tally[key] = (tally[key] ?? 0) + n;
}
