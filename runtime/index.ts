/**
 * tsgrpc: gRPC for TypeScript on node:http2.
 *
 * Layers, bottom up: `protocol/` (framing, headers, status and timeout rules),
 * `codec/` (messages to bytes), `compression/` (gzip and deflate per
 * message), `server/` and `client/` (calls on HTTP/2
 * streams), `service/` (what generated code builds on). On top: `services/`
 * (health, reflection) and `testing/` (an in-memory channel).
 */
export { Status, statusName } from "./status/status.js";
export { GrpcError, type GrpcErrorOptions } from "./status/grpc-error.js";
export { errorDetail, errorDetails } from "./status/error-details.js";
export * from "./status/details/google/rpc/error_details_pb.js";
export { StatusSchema as RpcStatusSchema, type Status as RpcStatus } from "./status/details/google/rpc/status_pb.js";
export { Metadata, type MetadataInit, type MetadataValue } from "./metadata/metadata.js";
export type { Codec, MessageCodec } from "./codec/codec.js";
export { protoCodec } from "./codec/proto-codec.js";
export { jsonCodec, createJsonCodec, type JsonCodecOptions } from "./codec/json-codec.js";
export type { Compression } from "./compression/compression.js";
export { Server, type ServerOptions, type ListenOptions, type TcpListenOptions, type UnixListenOptions, type CloseOptions, type AddServiceOptions } from "./server/server.js";
export type { ServerConnectionOptions, ServerKeepaliveOptions, KeepaliveEnforcementOptions } from "./server/connection-options.js";
export type { ServerTlsOptions } from "./server/server-tls.js";
export type { ServerCall, ServerCallStatus } from "./server/server-call.js";
export { currentServerCall } from "./context/call-context.js";
export { Channel, type ChannelOptions } from "./client/channel.js";
export type { ChannelTlsOptions, ChannelConnectionOptions } from "./client/connect.js";
export { KeepaliveTimeoutError, type KeepaliveOptions } from "./client/keepalive.js";
export { ConnectivityState, type StateListener } from "./client/connectivity.js";
export type { BackoffOptions } from "./client/backoff.js";
export type { LoadBalancingPolicy } from "./client/balancer/balancer.js";
export type {
  ServiceConfig,
  MethodConfig,
  MethodName,
  RetryPolicy,
  RetryThrottling,
  LoadBalancingConfig,
  StatusCodeName,
} from "./client/service-config.js";
export type { CallOptions } from "./client/call-options.js";
export type { ClientCall, ResponseStream, CallStatus, SendOptions } from "./client/client-call.js";
export { ServiceClient, type StreamInput } from "./client/service-client.js";
export {
  serviceDescriptor,
  type ServiceImplementation,
  type ServiceHandlers,
  type MethodHandler,
} from "./service/service-implementation.js";
export { memberName } from "./service/member-name.js";
export { gracefulExit, type GracefulExitOptions } from "./server/graceful-exit.js";
export { HealthService, OVERALL, type HealthChecks } from "./services/health/health-service.js";
export { ServiceCheck, ServiceStatus, type HealthCheck, type HealthProbe, type ServiceCheckOptions } from "./services/health/checks.js";
export { HealthCheckResponse_ServingStatus as ServingStatus } from "./services/gen/grpc/health/v1/health_pb.js";
export { HealthClient } from "./services/gen/grpc/health/v1/health_grpc.js";
export { ReflectionService, addReflection, type ReflectionOptions } from "./services/reflection/reflection-service.js";
export { channelFor, InMemoryChannel, type ChannelForOptions } from "./testing/channel-for.js";
export { isMethod, type ClientInterceptor, type ClientNext, type ClientRequest, type ClientResponse, type Messages } from "./interceptors/client-interceptor.js";
export type { ServerInterceptor, ServerNext, ServerRequestMessage, ServerResponseMessage } from "./interceptors/server-interceptor.js";
export { ContextKey, ContextValues, contextKey } from "./interceptors/context-values.js";
export type { AnyHandler } from "./server/invoke-handler.js";
export { listen } from "./events/listen.js";
export type { EventListener, EventType } from "./events/event-hub.js";
export {
  GrpcEvent,
  SendMessage,
  RecvMessage,
  SendRequest,
  RecvInitialMetadata,
  RecvTrailingMetadata,
  RecvRequest,
  SendInitialMetadata,
  SendTrailingMetadata,
  type ClientEvent,
  type ServerEvent,
} from "./events/events.js";
export { bearerToken, type BearerTokenSource } from "./interceptors/ready/bearer-token.js";
export { bearerAuth, type BearerAuthOptions } from "./interceptors/ready/bearer-auth.js";
export { serverLogging, clientLogging, type CallLogRecord, type LoggingOptions } from "./interceptors/ready/logging.js";
export { jsonLogger, levelForCode, type Logger, type LogLevel } from "./interceptors/ready/logger.js";
export { serverMetrics, clientMetrics, type MetricsSink, type HandledLabels } from "./interceptors/ready/metrics.js";
export type { MethodLabels } from "./interceptors/ready/call-outcome.js";
export {
  MetricsRegistry,
  DEFAULT_LATENCY_BUCKETS_MS,
  type MetricsSnapshot,
  type LabeledCount,
  type LatencyHistogram,
} from "./interceptors/ready/metrics-registry.js";
export { defaultDeadline } from "./interceptors/ready/default-deadline.js";
export { FaultInjector } from "./faults/fault-injector.js";
export {
  FaultRule,
  fault,
  DROPPED_MESSAGE,
  type ErrorFaultSpec,
  type DelayFaultSpec,
  type DropFaultSpec,
  type FaultRuleJSON,
} from "./faults/fault-rule.js";
export { methodGlob } from "./faults/method-glob.js";
