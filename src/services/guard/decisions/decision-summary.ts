/**
 * Sums of the decisions log's hourly counts, for charts and reports: counts per time
 * bucket and series, and totals by a category. Pure functions over rows.
 */
import type { CountRow } from "./decision-queries.js";

/** Counts per bucket for each series. */
export interface Buckets {
  /** Start of each bucket, Unix ms. */
  readonly starts: readonly number[];
  readonly series: ReadonlyMap<string, number[]>;
}

/**
 * Sums `rows` into buckets of `bucketMs` from `from` to `to`; `seriesOf` names a row's
 * series (undefined leaves it out). Series appear in the order of `order`, then by name.
 */
export function bucketed(
  rows: readonly CountRow[],
  from: number,
  to: number,
  bucketMs: number,
  seriesOf: (row: CountRow) => string | undefined,
  order: readonly string[] = [],
): Buckets {
  const n = Math.max(0, Math.ceil((to - from) / bucketMs));
  const starts = Array.from({ length: n }, (_, i) => from + i * bucketMs);
  const found = new Map<string, number[]>();
  for (const row of rows) {
    const name = seriesOf(row);
    const i = Math.floor((row.hour - from) / bucketMs);
    if (name === undefined || i < 0 || i >= n) continue;
    let values = found.get(name);
    if (values === undefined) found.set(name, (values = new Array<number>(n).fill(0)));
    values[i] = (values[i] ?? 0) + row.count;
  }
  const names = [
    ...order.filter((o) => found.has(o)),
    ...[...found.keys()].filter((k) => !order.includes(k)).sort(),
  ];
  return { starts, series: new Map(names.map((name) => [name, found.get(name) ?? []])) };
}

/**
 * Totals of the rows `filter` keeps, by the keys `keysOf` gives a row (a row with tags
 * `a,b` counts under both; a row without keys under `none`).
 */
export function totalsBy(
  rows: readonly CountRow[],
  filter: (row: CountRow) => boolean,
  keysOf: (row: CountRow) => readonly string[],
): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    if (!filter(row)) continue;
    const keys = keysOf(row).filter((k) => k !== "");
    for (const key of keys.length === 0 ? ["none"] : keys)
      totals.set(key, (totals.get(key) ?? 0) + row.count);
  }
  return totals;
}

/** A row's tags (or harms). */
export const tagsOf = (row: CountRow): readonly string[] => row.tag.split(",");

/** The sum of the rows `filter` keeps. */
export function total(rows: readonly CountRow[], filter: (row: CountRow) => boolean): number {
  let sum = 0;
  for (const row of rows) if (filter(row)) sum += row.count;
  return sum;
}
