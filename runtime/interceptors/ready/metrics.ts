import { statusName } from "../../status/status.js";
import type { ClientInterceptor } from "../client-interceptor.js";
import type { ServerInterceptor } from "../server-interceptor.js";
import { methodLabels, observeClientCall, type MethodLabels } from "./call-outcome.js";

/** The labels of a finished call: its method's, and the status code's name (`"OK"`, `"NOT_FOUND"`). */
export interface HandledLabels extends MethodLabels {
  readonly code: string;
}

/**
 * Where the metrics interceptors report calls: `started` when a call starts,
 * `handled` once when it ends, with how long it took. A sink derives counters,
 * an in-flight gauge and latency histograms from these two (see
 * `MetricsRegistry`), or forwards them (see `tsgrpc/otel`).
 */
export interface MetricsSink {
  started(labels: MethodLabels): void;
  handled(labels: HandledLabels, durationMs: number): void;
}

/**
 * A server interceptor that reports every call to `sink`: started when the
 * interceptor runs, handled with the status the client was sent (from
 * `call.status`, so deadlines, cancels and shutdowns count too).
 */
export function serverMetrics(sink: MetricsSink): ServerInterceptor {
  return (next) => (call, requests) => {
    const labels = methodLabels(call.method);
    const started = performance.now();
    sink.started(labels);
    void call.status.then((status) => sink.handled({ ...labels, code: statusName(status.code) }, performance.now() - started));
    return next(call, requests);
  };
}

/**
 * A client interceptor that reports every call to `sink`: started when the
 * call starts, handled when its response has been read to the end, when it
 * fails, or when the caller stops reading early (CANCELLED).
 */
export function clientMetrics(sink: MetricsSink): ClientInterceptor {
  return (next) => (request) => {
    const labels = methodLabels(request.method);
    const started = performance.now();
    sink.started(labels);
    return observeClientCall(next, request, (outcome) => sink.handled({ ...labels, code: statusName(outcome.code) }, performance.now() - started));
  };
}
