import assert from "node:assert/strict";
import {
  compactNumber,
  type DayUsage,
  escapeXml,
  niceCeiling,
  usageChart,
} from "../../adapters/http/dashboard/chart.ts";

const day = (
  d: string,
  input: number,
  output: number,
  cost: number | null,
  runs = 1,
): DayUsage => ({
  day: d,
  inputTokens: input,
  outputTokens: output,
  costUsd: cost,
  runs,
});

/** Attributes of the `rect`s inside the day groups, in order. */
function bars(svg: string, cls: string): { y: number; height: number }[] {
  const days = svg.split('<g class="day">').slice(1).join("");
  return [
    ...days.matchAll(
      new RegExp(`<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)" class="${cls}"`, "g"),
    ),
  ]
    .map((m) => ({ y: Number(m[1]), height: Number(m[2]) }));
}

Deno.test("usageChart: stacked bars scaled to a nice maximum, costs only where priced", () => {
  const svg = usageChart([
    day("2025-06-01", 0, 0, null, 0),
    day("2025-06-02", 8_000, 2_000, 0.054),
    day("2025-06-03", 3_000, 1_000, null),
  ], { width: 400, height: 200 });
  assert.match(
    svg,
    /^<svg class="chart" xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 400 200"/,
  );
  assert.ok(svg.endsWith("</svg>"));
  assert.equal(svg.split('<g class="day">').length - 1, 3, "a group per day");
  const inputs = bars(svg, "bar-in");
  const outputs = bars(svg, "bar-out");
  assert.equal(inputs.length, 2, "no bar on a day without tokens");
  // Plot height = 200 - 34 - 26 = 140; the maximum (10,000) is the top of the scale.
  assert.equal(inputs[0].height + outputs[0].height, 140);
  assert.equal(inputs[0].height, 112);
  assert.equal(inputs[1].height + outputs[1].height, 56);
  assert.match(svg, />~\$0\.05</, "the priced day shows its estimate");
  assert.equal((svg.match(/class="cost-label" fill="#555">~\$\d/g) ?? []).length, 1);
  assert.match(svg, /<title>2025-06-03: 3,000 in \+ 1,000 out tokens, 1 run\(s\)<\/title>/);
  assert.match(
    svg,
    /<title id="chart-title">LLM tokens per day over 3 days: 14,000 tokens, about \$0\.05 \(estimate\)<\/title>/,
  );
  assert.match(svg, />10k</);
  assert.match(svg, />06-02</);
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
});

Deno.test("usageChart: a period without usage says so; many days thin their labels", () => {
  const empty = usageChart([day("2025-06-01", 0, 0, null, 0), day("2025-06-02", 0, 0, null, 0)]);
  assert.match(empty, /no LLM usage in this period/);
  assert.doesNotMatch(empty, /NaN/);
  const days = Array.from(
    { length: 30 },
    (_, i) => day(`2025-06-${String(i + 1).padStart(2, "0")}`, 10, 1, null),
  );
  const svg = usageChart(days);
  const labels = [...svg.matchAll(/>(06-\d\d)</g)].map((m) => m[1]);
  assert.deepEqual(labels, [
    "06-01",
    "06-04",
    "06-07",
    "06-10",
    "06-13",
    "06-16",
    "06-19",
    "06-22",
    "06-25",
    "06-28",
  ]);
  assert.equal(usageChart([]).includes("<svg"), true);
});

Deno.test("usageChart: text is escaped", () => {
  const svg = usageChart([day('2025-06-0<"&>', 1, 1, null)]);
  assert.ok(svg.includes("2025-06-0&lt;&quot;&amp;&gt;"));
  assert.ok(!svg.includes('0<"&>'));
  assert.equal(
    escapeXml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

Deno.test("compactNumber and niceCeiling", () => {
  assert.deepEqual(
    [0, 950, 1_000, 1_234, 12_500, 99_999, 340_000, 3_400_000, 42_000_000].map(compactNumber),
    ["0", "950", "1k", "1.2k", "12.5k", "100k", "340k", "3.4M", "42M"],
  );
  assert.deepEqual(
    [0, 1, 3, 7, 11, 24_160, 26_000, 80_000].map(niceCeiling),
    [1, 1, 5, 10, 20, 25_000, 50_000, 100_000],
  );
});
