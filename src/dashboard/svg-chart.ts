/**
 * Charts drawn on the server as SVG: stacked bars over time and horizontal bars by
 * category. Server-side drawing needs no script in the browser (so the Content-Security-
 * Policy can forbid scripts altogether), ships no chart library, and is unit-testable;
 * the same functions draw the transparency report's charts. Every value is a count.
 */
import { esc } from "./html.js";

/** One series of a time chart: a count per bucket. */
export interface Series {
  readonly label: string;
  readonly values: readonly number[];
}

/** A category and its count. */
export interface Bar {
  readonly label: string;
  readonly value: number;
}

const PALETTE = ["#d62828", "#2a9d8f", "#457b9d", "#f4a261", "#8d99ae", "#6a4c93", "#e9c46a"];
const colour = (i: number) => PALETTE[i % PALETTE.length] ?? "#888";

/** Options shared by the charts. */
export interface ChartOptions {
  readonly title: string;
  readonly width?: number;
  readonly height?: number;
}

/**
 * Stacked bars, one per bucket (`buckets` are their labels; only a few are written under
 * the axis). Each bar carries a `<title>` with its counts, so hovering shows them.
 */
export function stackedBarChart(
  buckets: readonly string[],
  series: readonly Series[],
  options: ChartOptions,
): string {
  const width = options.width ?? 520;
  const height = options.height ?? 220;
  const left = 40;
  const bottom = 36;
  const top = 8;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const totals = buckets.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const barW = buckets.length === 0 ? 0 : plotW / buckets.length;
  const parts: string[] = [];
  buckets.forEach((bucket, i) => {
    let y = top + plotH;
    const tip = series.map((s) => `${s.label}: ${s.values[i] ?? 0}`).join(", ");
    const rects = series
      .map((s, k) => {
        const v = s.values[i] ?? 0;
        if (v === 0) return "";
        const h = (v / max) * plotH;
        y -= h;
        return `<rect x="${(left + i * barW + 0.5).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(barW - 1, 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour(k)}"/>`;
      })
      .join("");
    parts.push(`<g class="bar"><title>${esc(`${bucket} — ${tip}`)}</title>${rects}</g>`);
  });
  const every = Math.max(1, Math.ceil(buckets.length / 6));
  const ticks = buckets
    .map((b, i) =>
      i % every === 0
        ? `<text x="${(left + i * barW).toFixed(1)}" y="${height - bottom + 14}" font-size="10">${esc(b)}</text>`
        : "",
    )
    .join("");
  const axis = `<line x1="${left}" y1="${top + plotH}" x2="${width - 8}" y2="${top + plotH}" stroke="#555"/><text x="4" y="${top + 10}" font-size="10">${max}</text><text x="4" y="${top + plotH}" font-size="10">0</text>`;
  return svg(width, height, options.title, [axis, ...parts, ticks, legend(series, height - 12)]);
}

/** Horizontal bars, largest first (at most `limit`). */
export function barChart(bars: readonly Bar[], options: ChartOptions & { limit?: number }): string {
  const shown = [...bars].sort((a, b) => b.value - a.value).slice(0, options.limit ?? 10);
  const width = options.width ?? 520;
  const row = 22;
  const height = options.height ?? Math.max(40, shown.length * row + 12);
  const labelW = 180;
  const max = Math.max(1, ...shown.map((b) => b.value));
  const rows = shown.map((b, i) => {
    const y = 6 + i * row;
    const w = (b.value / max) * (width - labelW - 60);
    return `<g class="bar"><title>${esc(`${b.label}: ${b.value}`)}</title><text x="4" y="${y + 14}" font-size="11">${esc(truncate(b.label, 28))}</text><rect x="${labelW}" y="${y}" width="${Math.max(w, 1).toFixed(1)}" height="${row - 6}" fill="${colour(i)}"/><text x="${(labelW + w + 4).toFixed(1)}" y="${y + 14}" font-size="11">${b.value}</text></g>`;
  });
  const body = shown.length === 0 ? [`<text x="4" y="24" font-size="12">No data.</text>`] : rows;
  return svg(width, height, options.title, body);
}

function legend(series: readonly Series[], y: number): string {
  let x = 40;
  return series
    .map((s, k) => {
      const item = `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${colour(k)}"/><text x="${x + 14}" y="${y}" font-size="11">${esc(s.label)}</text>`;
      x += 24 + s.label.length * 7;
      return item;
    })
    .join("");
}

function svg(width: number, height: number, title: string, body: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>${esc(title)}</title>${body.join("")}</svg>`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
