import { metrics, type Attributes, type Histogram, type Meter } from "@opentelemetry/api";
import type { ClientInterceptor } from "../interceptors/client-interceptor.js";
import type { ServerInterceptor } from "../interceptors/server-interceptor.js";
import type { MethodLabels } from "../interceptors/ready/call-outcome.js";
import { clientMetrics, serverMetrics, type HandledLabels, type MetricsSink } from "../interceptors/ready/metrics.js";
import { Status } from "../status/status.js";

/** Options of the OpenTelemetry metrics interceptors. */
export interface OtelMetricsOptions {
  /**
   * The meter to record with. Default: `metrics.getMeter("tsgrpc")` from the
   * global MeterProvider, looked up at the first call (so the provider may be
   * registered after the interceptor is made, as long as it is before calls).
   */
  meter?: Meter;
}

/**
 * A `MetricsSink` that records each finished call in the OpenTelemetry RPC
 * histogram of its side, following the RPC semantic conventions as of
 * semconv v1.37 (what existing gRPC instrumentations emit):
 * `rpc.server.duration` or `rpc.client.duration`, unit `ms`, with the
 * attributes `rpc.system` = `"grpc"`, `rpc.service`, `rpc.method` and
 * `rpc.grpc.status_code` (the numeric code).
 */
export function otelMetricsSink(side: "server" | "client", options: OtelMetricsOptions = {}): MetricsSink {
  let histogram: Histogram | undefined;
  const create = (): Histogram =>
    (options.meter ?? metrics.getMeter("tsgrpc")).createHistogram(`rpc.${side}.duration`, {
      description: side === "server" ? "Measures the duration of inbound RPC." : "Measures the duration of outbound RPC.",
      unit: "ms",
    });
  return {
    started(_labels: MethodLabels): void {},
    handled(labels: HandledLabels, durationMs: number): void {
      const attributes: Attributes = {
        "rpc.system": "grpc",
        "rpc.service": labels.service,
        "rpc.method": labels.method,
        "rpc.grpc.status_code": statusCode(labels.code),
      };
      (histogram ??= create()).record(durationMs, attributes);
    },
  };
}

/** A server interceptor recording `rpc.server.duration` (see `otelMetricsSink`). */
export function otelServerMetrics(options: OtelMetricsOptions = {}): ServerInterceptor {
  return serverMetrics(otelMetricsSink("server", options));
}

/** A client interceptor recording `rpc.client.duration` (see `otelMetricsSink`). */
export function otelClientMetrics(options: OtelMetricsOptions = {}): ClientInterceptor {
  return clientMetrics(otelMetricsSink("client", options));
}

/** The number of a status code name: `"NOT_FOUND"` is 5, `"CODE_42"` is 42 (`statusName`'s form for codes past 16). */
function statusCode(name: string): number {
  if (Object.hasOwn(Status, name)) return Status[name as keyof typeof Status];
  const match = /^CODE_(\d+)$/.exec(name);
  return match === null ? Status.UNKNOWN : Number(match[1]);
}
