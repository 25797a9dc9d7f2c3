import type { DescMessage, DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import type { Metadata } from "../metadata/metadata.js";
import type { GrpcError } from "../status/grpc-error.js";
import type { CallOptions } from "./call-options.js";
import { CallTransport, type CallListener } from "./call-transport.js";
import type { Channel } from "./channel.js";
import { RetryingCall } from "./retry/retrying-call.js";
import type { CompiledMethodConfig } from "./service-config.js";

/**
 * What the call forms (unary, ClientCallImpl) drive: one attempt's
 * `CallTransport`, or a `RetryingCall` that runs several behind the same
 * surface.
 * @internal
 */
export interface CallHandle<I extends DescMessage> {
  send(message: MessageInitShape<I>, compress?: boolean): boolean;
  sendLast(message: MessageInitShape<I>, compress?: boolean): void;
  end(): void;
  drained(): Promise<void>;
  wasCompressed(message: object): boolean;
  readonly closed: boolean;
  pause(): void;
  resume(): void;
  cancel(reason: GrpcError): void;
  readonly peer: string;
  readonly headers: Metadata;
  readonly trailers: Metadata;
}

/**
 * Starts a call. Without a service config entry for the method this is
 * exactly `new CallTransport(...)`, the path every call took before retries
 * existed; with one, its timeout and waitForReady apply, and a retry policy
 * (gRPC A6) wraps the attempts in a `RetryingCall`.
 * @internal
 */
export function startCall<I extends DescMessage, O extends DescMessage>(
  channel: Channel,
  method: DescMethod,
  options: CallOptions,
  listener: CallListener<O>,
): CallHandle<I> {
  const config = channel.methodConfig(method);
  if (config === undefined) return new CallTransport<I, O>(channel, method, options, listener);
  const effective = withMethodConfig(options, config);
  if (config.retry === undefined || !channel.retriesEnabled) return new CallTransport<I, O>(channel, method, effective, listener);
  return new RetryingCall<I, O>(channel, method, effective, listener, config.retry);
}

/** The call's options with the method config's defaults: the earlier timeout, and waitForReady unless the call sets it (doc/service_config.md). */
function withMethodConfig(options: CallOptions, config: CompiledMethodConfig): CallOptions {
  const { timeoutMs, waitForReady } = config;
  if (timeoutMs === undefined && (waitForReady === undefined || options.waitForReady !== undefined)) return options;
  const out: CallOptions = { ...options };
  if (timeoutMs !== undefined) out.timeout = Math.min(options.timeout ?? Infinity, timeoutMs);
  if (out.waitForReady === undefined && waitForReady !== undefined) out.waitForReady = waitForReady;
  return out;
}
