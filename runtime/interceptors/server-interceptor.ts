import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { ServerCall } from "../server/server-call.js";

/** A request message as a server interceptor sees it: decoded, of the method's input type. */
export type ServerRequestMessage = MessageShape<DescMessage>;
/** A response message as a server interceptor sees it: what the handler produced, a message or an init object. */
export type ServerResponseMessage = MessageInitShape<DescMessage>;

/**
 * The rest of a server chain: the next interceptor, or at the end the
 * handler. Every kind of call has the same shape, a stream of requests in and
 * a stream of responses out; unary sides hold exactly one message.
 */
export type ServerNext = (call: ServerCall, requests: AsyncIterable<ServerRequestMessage>) => AsyncIterable<ServerResponseMessage>;

/**
 * A server interceptor wraps the rest of the chain. It can read the call
 * (metadata, peer, deadline, method), reject it by throwing a GrpcError
 * before calling `next` (the handler never runs), attach values the handler
 * reads with `call.context`, wrap the request and response streams, and see
 * how the call ended with `await call.status`. Anything it throws becomes
 * the call's status, as from a handler.
 *
 * ```ts
 * const requireTenant: ServerInterceptor = (next) =>
 *   async function* (call, requests) {
 *     if (!call.metadata.has("x-tenant")) throw new GrpcError(Status.INVALID_ARGUMENT, "x-tenant is required");
 *     yield* next(call, requests);
 *   };
 * ```
 *
 * Interceptors run in the order given, the first outermost: the server's
 * wrap a service's.
 */
export type ServerInterceptor = (next: ServerNext) => ServerNext;

/** `next` wrapped by `interceptors`, the first outermost. */
export function chainServer(interceptors: readonly ServerInterceptor[], next: ServerNext): ServerNext {
  let chained = next;
  for (let i = interceptors.length - 1; i >= 0; i--) chained = interceptors[i]!(chained);
  return chained;
}
