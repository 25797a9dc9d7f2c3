/**
 * tsgrpc/otel: OpenTelemetry metrics for tsgrpc calls. A separate entry point
 * because it imports `@opentelemetry/api`, an optional peer dependency: the
 * main `tsgrpc` entry never loads it, so projects without it are not broken.
 */
export { otelClientMetrics, otelMetricsSink, otelServerMetrics, type OtelMetricsOptions } from "./otel-metrics.js";
