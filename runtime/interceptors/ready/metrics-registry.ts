import type { MethodLabels } from "./call-outcome.js";
import type { HandledLabels, MetricsSink } from "./metrics.js";

/** Latency bucket bounds in milliseconds, for `MetricsRegistry` (the OpenTelemetry SDK's default bounds). */
export const DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** A count for one label set. */
export interface LabeledCount<L> {
  readonly labels: L;
  readonly value: number;
}

/** A latency histogram for one label set: `counts[i]` calls took at most `bounds[i]` ms and more than the bound before; the last count is above every bound. */
export interface LatencyHistogram {
  readonly labels: HandledLabels;
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sumMs: number;
}

/** What a `MetricsRegistry` has counted so far, each list sorted by its labels. */
export interface MetricsSnapshot {
  /** Calls started, by service and method. */
  readonly started: readonly LabeledCount<MethodLabels>[];
  /** Calls ended, by service, method and code. */
  readonly handled: readonly LabeledCount<HandledLabels>[];
  /** Calls started and not yet ended, by service and method. */
  readonly inFlight: readonly LabeledCount<MethodLabels>[];
  /** How long calls took, by service, method and code. */
  readonly latency: readonly LatencyHistogram[];
}

interface Histogram {
  labels: HandledLabels;
  counts: number[];
  count: number;
  sumMs: number;
}

/**
 * An in-process `MetricsSink`: counters of calls started and handled, an
 * in-flight gauge, and latency histograms, labelled by service, method and
 * code. Pass it to `serverMetrics()` or `clientMetrics()` (one registry per
 * side) and read it with `snapshot()`, for tests or to export.
 */
export class MetricsRegistry implements MetricsSink {
  readonly #bounds: readonly number[];
  readonly #started = new Map<string, { labels: MethodLabels; value: number }>();
  readonly #inFlight = new Map<string, { labels: MethodLabels; value: number }>();
  readonly #handled = new Map<string, { labels: HandledLabels; value: number }>();
  readonly #latency = new Map<string, Histogram>();

  /** `buckets`: the histogram's upper bounds in milliseconds, ascending (default `DEFAULT_LATENCY_BUCKETS_MS`). */
  constructor(options: { buckets?: readonly number[] } = {}) {
    const bounds = options.buckets ?? DEFAULT_LATENCY_BUCKETS_MS;
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i]) || (i > 0 && bounds[i]! <= bounds[i - 1]!)) throw new RangeError("MetricsRegistry: buckets must be finite and ascending");
    }
    this.#bounds = [...bounds];
  }

  /** Counts a call started, and one more in flight. */
  started(labels: MethodLabels): void {
    const key = methodKey(labels);
    bump(this.#started, key, labels, 1);
    bump(this.#inFlight, key, labels, 1);
  }

  /** Counts a call ended with `labels.code`, one less in flight, and its duration in the histogram. */
  handled(labels: HandledLabels, durationMs: number): void {
    const method = { service: labels.service, method: labels.method };
    bump(this.#inFlight, methodKey(method), method, -1);
    const key = `${methodKey(labels)}\0${labels.code}`;
    const own = { service: labels.service, method: labels.method, code: labels.code };
    bump(this.#handled, key, own, 1);
    let histogram = this.#latency.get(key);
    if (histogram === undefined) {
      histogram = { labels: own, counts: new Array<number>(this.#bounds.length + 1).fill(0), count: 0, sumMs: 0 };
      this.#latency.set(key, histogram);
    }
    let bucket = this.#bounds.findIndex((bound) => durationMs <= bound);
    if (bucket === -1) bucket = this.#bounds.length;
    histogram.counts[bucket]!++;
    histogram.count++;
    histogram.sumMs += durationMs;
  }

  /** A copy of everything counted so far. */
  snapshot(): MetricsSnapshot {
    return {
      started: sorted(this.#started),
      handled: sorted(this.#handled),
      inFlight: sorted(this.#inFlight),
      latency: [...this.#latency.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, h]) => ({ labels: { ...h.labels }, bounds: this.#bounds, counts: [...h.counts], count: h.count, sumMs: h.sumMs })),
    };
  }
}

function methodKey(labels: MethodLabels): string {
  return `${labels.service}\0${labels.method}`;
}

function bump<L>(map: Map<string, { labels: L; value: number }>, key: string, labels: L, by: number): void {
  const entry = map.get(key);
  if (entry === undefined) map.set(key, { labels: { ...labels }, value: by });
  else entry.value += by;
}

function sorted<L>(map: Map<string, { labels: L; value: number }>): LabeledCount<L>[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => ({ labels: { ...e.labels }, value: e.value }));
}
