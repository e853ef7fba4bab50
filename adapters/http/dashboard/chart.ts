/**
 * The overview's chart of tokens and estimated cost per day: inline SVG built
 * on the server (no script, no external asset), stacked bars of input and
 * output tokens with the day's estimated cost above each bar and a tooltip
 * (`<title>`) per day. Pure: the same days give the same markup.
 *
 * @module
 */
import { formatUsd } from "../../../projections/cost.ts";
import { formatCount } from "../../../projections/issue_story.ts";

/** One day's LLM usage. */
export interface DayUsage {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  inputTokens: number;
  outputTokens: number;
  /** Estimated cost of the runs with a priced model, or null when none had one. */
  costUsd: number | null;
  runs: number;
}

/** Options of {@link usageChart}. */
export interface ChartOptions {
  width?: number;
  height?: number;
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text safe inside XML/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

/** A number in a few characters: `950`, `1.2k`, `12.5k`, `340k`, `3.4M`. */
export function compactNumber(n: number): string {
  const v = Math.max(0, n);
  if (v < 1000) return String(Math.round(v));
  if (v < 100_000) return `${(v / 1000).toFixed(1).replace(/\.0$/, "")}k`;
  if (v < 1_000_000) return `${Math.round(v / 1000)}k`;
  if (v < 10_000_000) return `${(v / 1_000_000).toFixed(1).replace(/\.0$/, "")}M`;
  return `${Math.round(v / 1_000_000)}M`;
}

/** The smallest "nice" number (1, 2, 2.5, 5 × 10ⁿ) at or above `n`. */
export function niceCeiling(n: number): number {
  if (!(n > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= n) return step * power;
  }
  return 10 * power;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** The chart as an `<svg>` element (its own text all escaped). */
export function usageChart(days: readonly DayUsage[], options: ChartOptions = {}): string {
  const width = options.width ?? 1040;
  const height = options.height ?? 240;
  const left = 52;
  const right = 12;
  const top = 34;
  const bottom = 26;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const totals = days.map((d) => d.inputTokens + d.outputTokens);
  const max = niceCeiling(Math.max(0, ...totals));
  const slot = days.length ? plotW / days.length : plotW;
  const barW = Math.max(2, Math.min(36, slot * 0.62));
  const labelEvery = Math.max(1, Math.ceil(days.length / 14));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const totalTokens = totals.reduce((a, b) => a + b, 0);
  const totalCost = days.reduce((a, d) => a + (d.costUsd ?? 0), 0);
  const summary =
    `LLM tokens per day over ${days.length} days: ${formatCount(totalTokens)} tokens` +
    (days.some((d) => d.costUsd !== null) ? `, about ${formatUsd(totalCost)} (estimate)` : "");

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" ` +
      `width="100%" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${escapeXml(summary)}</title>`,
  );
  // Legend.
  parts.push(
    `<g class="legend" font-size="11">`,
    `<rect x="${left}" y="6" width="10" height="10" rx="2" class="bar-in" fill="#93b4f5"/>`,
    `<text x="${left + 14}" y="15" class="axis-label" fill="#555">input tokens</text>`,
    `<rect x="${left + 96}" y="6" width="10" height="10" rx="2" class="bar-out" fill="#2f5fd0"/>`,
    `<text x="${left + 110}" y="15" class="axis-label" fill="#555">output tokens</text>`,
    `<text x="${
      left + 200
    }" y="15" class="cost-label" fill="#555">~$ estimated cost (list prices)</text>`,
    `</g>`,
  );
  // Grid and y labels.
  for (const f of [0, 0.5, 1]) {
    const gy = round(y(max * f));
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${gy}" y2="${gy}" class="grid" ` +
        `stroke="#ddd" stroke-width="1"/>`,
      `<text x="${left - 6}" y="${round(y(max * f) + 4)}" text-anchor="end" font-size="11" ` +
        `class="axis-label" fill="#555">${escapeXml(compactNumber(max * f))}</text>`,
    );
  }
  days.forEach((d, i) => {
    const cx = left + slot * i + slot / 2;
    const x = round(cx - barW / 2);
    const total = totals[i];
    const cost = d.costUsd !== null && total > 0 ? `~${formatUsd(d.costUsd)}` : "";
    const tip = `${d.day}: ${formatCount(d.inputTokens)} in + ${formatCount(d.outputTokens)} out ` +
      `tokens, ${d.runs} run(s)` + (cost ? `, ${cost} (estimate)` : "");
    parts.push(`<g class="day"><title>${escapeXml(tip)}</title>`);
    if (total > 0) {
      const yIn = y(d.inputTokens);
      const yAll = y(total);
      parts.push(
        `<rect x="${x}" y="${round(yIn)}" width="${round(barW)}" height="${
          round(top + plotH - yIn)
        }" class="bar-in" fill="#93b4f5"/>`,
        `<rect x="${x}" y="${round(yAll)}" width="${round(barW)}" height="${
          round(yIn - yAll)
        }" class="bar-out" fill="#2f5fd0"/>`,
      );
      if (cost) {
        parts.push(
          `<text x="${round(cx)}" y="${round(yAll - 4)}" text-anchor="middle" font-size="10" ` +
            `class="cost-label" fill="#555">${escapeXml(cost)}</text>`,
        );
      }
    }
    // An invisible full-height target so the tooltip works on empty days too.
    parts.push(
      `<rect x="${round(left + slot * i)}" y="${top}" width="${round(slot)}" height="${plotH}" ` +
        `fill="transparent"/>`,
    );
    if (i % labelEvery === 0) {
      parts.push(
        `<text x="${round(cx)}" y="${height - 8}" text-anchor="middle" font-size="11" ` +
          `class="axis-label" fill="#555">${escapeXml(d.day.slice(5))}</text>`,
      );
    }
    parts.push(`</g>`);
  });
  if (totalTokens === 0) {
    parts.push(
      `<text x="${round(left + plotW / 2)}" y="${round(top + plotH / 2)}" text-anchor="middle" ` +
        `font-size="13" class="axis-label" fill="#777">no LLM usage in this period</text>`,
    );
  }
  parts.push(`</svg>`);
  return parts.join("");
}
