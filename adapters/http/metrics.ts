/**
 * A small metrics registry (counters, gauges, histograms with labels) and its
 * Prometheus text exposition (format 0.0.4). No dependencies.
 *
 * @module
 */

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k])}"`).join(",")}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** What the registry exposes. */
export interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  lines(): string[];
}

/** A monotonically increasing count, per label set. */
export class Counter implements Metric {
  readonly type = "counter";
  readonly #values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  /** Adds `by` (default 1, never negative) to the series of `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only go up`);
    const key = labelText(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  /** The current value of the series of `labels`. */
  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels)) ?? 0;
  }

  lines(): string[] {
    return [...this.#values].map(([k, v]) => `${this.name}${k} ${formatNumber(v)}`);
  }
}

/** A value that goes up and down, per label set; optionally computed at scrape time. */
export class Gauge implements Metric {
  readonly type = "gauge";
  readonly #values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  /** Sets the series of `labels`. */
  set(labels: Labels, value: number): void {
    this.#values.set(labelText(labels), value);
  }

  /** The current value of the series of `labels`. */
  get(labels: Labels = {}): number {
    return this.#values.get(labelText(labels)) ?? 0;
  }

  lines(): string[] {
    return [...this.#values].map(([k, v]) => `${this.name}${k} ${formatNumber(v)}`);
  }
}

/** Default histogram buckets in seconds: 0.5 ms to 10 s. */
export const DEFAULT_SECONDS_BUCKETS: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram implements Metric {
  readonly type = "histogram";
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DEFAULT_SECONDS_BUCKETS,
  ) {
    this.#counts = new Array(buckets.length).fill(0);
  }

  /** Records one observation. */
  observe(value: number): void {
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= this.buckets[i]) this.#counts[i]++;
    }
    this.#sum += value;
    this.#count++;
  }

  /** How many observations were recorded. */
  get count(): number {
    return this.#count;
  }

  lines(): string[] {
    const out = this.buckets.map((b, i) =>
      `${this.name}_bucket{le="${formatNumber(b)}"} ${this.#counts[i]}`
    );
    out.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    out.push(`${this.name}_sum ${formatNumber(this.#sum)}`);
    out.push(`${this.name}_count ${this.#count}`);
    return out;
  }
}

/** A set of named metrics exposed together. */
export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  /** Registers a metric built elsewhere (e.g. a {@link LabelledHistogram}). */
  add<M extends Metric>(metric: M): M {
    return this.#add(metric);
  }

  #add<M extends Metric>(metric: M): M {
    if (!NAME.test(metric.name)) throw new Error(`bad metric name ${metric.name}`);
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} already exists`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** Registers a counter. */
  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  /** Registers a gauge. */
  gauge(name: string, help: string): Gauge {
    return this.#add(new Gauge(name, help));
  }

  /** Registers a histogram. */
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  /** The Prometheus text exposition of every metric. */
  expose(): string {
    const out: string[] = [];
    for (const m of this.#metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      out.push(...m.lines());
    }
    return out.join("\n") + "\n";
  }
}

/** The run statuses reported by `runs_by_status`. */
export const RUN_STATUSES = [
  "queued",
  "claimed",
  "retry_wait",
  "succeeded",
  "failed",
  "cancelled",
] as const;

/** Buckets for run durations and queue waits, in seconds: 1 s to 2 h. */
export const RUN_SECONDS_BUCKETS: readonly number[] = [
  1,
  5,
  15,
  30,
  60,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
];

/** A histogram per label set (the registry's histograms have no labels). */
export class LabelledHistogram implements Metric {
  readonly type = "histogram";
  readonly #series = new Map<string, { labels: Labels; h: Histogram }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DEFAULT_SECONDS_BUCKETS,
  ) {}

  /** Records one observation in the series of `labels`. */
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, h: new Histogram(this.name, this.help, this.buckets) };
      this.#series.set(key, series);
    }
    series.h.observe(value);
  }

  /** Observations recorded in the series of `labels`. */
  count(labels: Labels): number {
    return this.#series.get(labelText(labels))?.h.count ?? 0;
  }

  lines(): string[] {
    const out: string[] = [];
    for (const { labels, h } of this.#series.values()) {
      for (const line of h.lines()) {
        // Splice the series' labels into each line (`name_bucket{le="1"} 3`).
        const m = /^(\S+?)(\{(.*)\})? (\S+)$/.exec(line);
        if (!m) continue;
        const own = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
        const all = [...own, ...(m[3] ? [m[3]] : [])].join(",");
        out.push(`${m[1]}{${all}} ${m[4]}`);
      }
    }
    return out;
  }
}

/** The intake's metrics. */
export interface Metrics {
  readonly registry: MetricsRegistry;
  /** `http_requests_total{route,status}`. */
  readonly httpRequests: Counter;
  /** `events_appended_total`: events appended by the intake. */
  readonly eventsAppended: Counter;
  /** `event_store_append_seconds`: time of each append the intake made. */
  readonly appendSeconds: Histogram;
  /** `run_queue_depth`: runs waiting to be claimed (from the `runs` read model). */
  readonly queueDepth: Gauge;
  /** `run_queue_issues`: issues with claimable work (documents of the `queue` read model). */
  readonly queueIssues: Gauge;
  /** `runs_by_status{status}` (from the `runs` read model). */
  readonly runsByStatus: Gauge;
  /** `run_queue_oldest_age_seconds`: how long the oldest queued run has waited. */
  readonly oldestQueuedAge: Gauge;
  /** `runs_lease_expired`: claimed runs whose lease ran out (no live worker on them). */
  readonly leaseExpired: Gauge;
  /** `runs_needing_attention`: runs the dashboard's needs-attention panel would flag. */
  readonly needingAttention: Gauge;
  /** `workers_active`: distinct workers holding an unexpired lease. */
  readonly workersActive: Gauge;
  /** `worker_last_seen_timestamp_seconds{worker}`: a worker's latest event. */
  readonly workerLastSeen: Gauge;
  /** `run_duration_seconds{outcome}`: a worker's time on a run (claim to end). */
  readonly runDuration: LabelledHistogram;
  /** `run_queue_wait_seconds`: request to first claim. */
  readonly queueWait: Histogram;
  /** `runs_finished_total{outcome}`: runs ended, by outcome. */
  readonly runsFinished: Counter;
  /** `run_failures_total{step,kind}`: failed runs, by step and kind. */
  readonly runFailures: Counter;
  /** `run_retries_scheduled_total{step}`: transient failures retried. */
  readonly retriesScheduled: Counter;
  /** `llm_tokens_total{direction,model}`: tokens of recorded model work. */
  readonly llmTokens: Counter;
  /** `llm_cost_usd_total{model}`: estimated cost at list prices. */
  readonly llmCost: Counter;
  /** `ai_runner_build_info{version}`: always 1. */
  readonly buildInfo: Gauge;
}

/** Creates the intake's metrics in a fresh registry. */
export function createMetrics(
  registry: MetricsRegistry = new MetricsRegistry(),
  version = "unknown",
): Metrics {
  const buildInfo = registry.gauge("ai_runner_build_info", "The running build's version.");
  buildInfo.set({ version }, 1);
  return {
    registry,
    httpRequests: registry.counter(
      "http_requests_total",
      "HTTP requests answered, by route and status.",
    ),
    eventsAppended: registry.counter(
      "events_appended_total",
      "Events appended by the HTTP intake.",
    ),
    appendSeconds: registry.histogram(
      "event_store_append_seconds",
      "Duration of event store appends made by the HTTP intake.",
    ),
    queueDepth: registry.gauge("run_queue_depth", "Runs queued and not yet claimed."),
    queueIssues: registry.gauge("run_queue_issues", "Issues with a run to claim now or later."),
    runsByStatus: registry.gauge("runs_by_status", "Runs by status, from the runs read model."),
    oldestQueuedAge: registry.gauge(
      "run_queue_oldest_age_seconds",
      "Seconds the oldest queued run has waited for a worker (0: none queued).",
    ),
    leaseExpired: registry.gauge(
      "runs_lease_expired",
      "Claimed runs whose lease has expired: no live worker is on them.",
    ),
    needingAttention: registry.gauge(
      "runs_needing_attention",
      "Runs flagged as needing attention (failed, Jira hand-over failed, draft PR).",
    ),
    workersActive: registry.gauge("workers_active", "Workers holding an unexpired run lease."),
    workerLastSeen: registry.gauge(
      "worker_last_seen_timestamp_seconds",
      "When each worker last recorded an event (Unix seconds).",
    ),
    runDuration: registry.add(
      new LabelledHistogram(
        "run_duration_seconds",
        "A worker's time on a run, first claim to end, by outcome.",
        RUN_SECONDS_BUCKETS,
      ),
    ),
    queueWait: registry.histogram(
      "run_queue_wait_seconds",
      "Time from a run's request to its first claim.",
      RUN_SECONDS_BUCKETS,
    ),
    runsFinished: registry.counter("runs_finished_total", "Runs ended, by outcome."),
    runFailures: registry.counter("run_failures_total", "Failed runs, by step and kind."),
    retriesScheduled: registry.counter(
      "run_retries_scheduled_total",
      "Transient failures given back to be retried, by step.",
    ),
    llmTokens: registry.counter(
      "llm_tokens_total",
      "LLM tokens of recorded model work, by direction (input, output) and model.",
    ),
    llmCost: registry.counter(
      "llm_cost_usd_total",
      "Estimated LLM cost in US dollars at list prices (not a bill), by model.",
    ),
    buildInfo,
  };
}
