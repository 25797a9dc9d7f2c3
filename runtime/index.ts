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
export { Server, type ServerOptions, type ListenOptions, type CloseOptions } from "./server/server.js";
export type { ServerCall } from "./server/server-call.js";
export { currentServerCall } from "./context/call-context.js";
export { Channel, type ChannelOptions } from "./client/channel.js";
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
