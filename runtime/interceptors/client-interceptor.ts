import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Metadata } from "../metadata/metadata.js";
import { methodPath } from "../protocol/headers.js";
import type { CallOptions } from "../client/call-options.js";

/** Messages of one direction of a call: one for a unary side, any number for a stream. Sync or async. */
export type Messages<T> = AsyncIterable<T> | Iterable<T>;

/**
 * A call as a client interceptor sees it, on its way out. Every kind of call
 * has the same shape: a unary request is a stream of one message.
 */
export interface ClientRequest<I extends DescMessage = DescMessage, O extends DescMessage = DescMessage> {
  /** The method called: `method.methodKind`, `method.parent` (the service), `method.input`, `method.output`. */
  readonly method: DescMethod & { readonly input: I; readonly output: O };
  /** `/package.Service/Method`. */
  readonly path: string;
  /** The request metadata. Change it in place, or replace it. */
  metadata: Metadata;
  /**
   * The call's options (deadline, timeout, signal, compression, limits).
   * Change them in place, or replace the object; the transport reads them
   * when the innermost `next` runs.
   */
  options: CallOptions;
  /** The request messages. Replace them to observe or transform what is sent. */
  messages: Messages<MessageInitShape<I>>;
}

/**
 * A call as a client interceptor sees it once the response has started: the
 * response headers have arrived. A call that ends without any (an error
 * status in a trailers-only response, a connection failure) rejects `next()`
 * with its GrpcError instead.
 */
export interface ClientResponse<O extends DescMessage = DescMessage> {
  /** The response headers. */
  readonly headers: Metadata;
  /**
   * The response messages. Reading them to the end gives the status: the
   * iteration ends for OK and throws a GrpcError for anything else. Replace
   * them to observe or transform what is received; breaking out early
   * cancels the call.
   */
  messages: Messages<MessageShape<O>>;
  /** The trailing metadata: empty until `messages` has been read to its end, then filled in. */
  readonly trailers: Metadata;
  /** The server's address on the connection the call used (`""` for a response made up by an interceptor). */
  readonly peer: string;
}

/** The rest of the chain: the next interceptor, or at the end the call on the wire. */
export type ClientNext = <I extends DescMessage, O extends DescMessage>(request: ClientRequest<I, O>) => Promise<ClientResponse<O>>;

/**
 * A client interceptor wraps the rest of the chain. It can change the
 * metadata and options, replace the request or response messages, read the
 * headers and trailers, answer without calling `next` (short-circuit),
 * throw a GrpcError, or call `next` again (retry).
 *
 * ```ts
 * const addTenant: ClientInterceptor = (next) => async (request) => {
 *   request.metadata.set("x-tenant", "acme");
 *   return next(request);
 * };
 * ```
 *
 * Interceptors run in the order given, the first outermost: a channel's
 * wrap a client's, which wrap a call's. `interceptor(next)` may run once
 * for many calls: keep per-call state inside the function it returns.
 */
export type ClientInterceptor = (next: ClientNext) => ClientNext;

/** `next` wrapped by `interceptors`, the first outermost. */
export function chainClient(interceptors: readonly ClientInterceptor[], next: ClientNext): ClientNext {
  let chained = next;
  for (let i = interceptors.length - 1; i >= 0; i--) chained = interceptors[i]!(chained);
  return chained;
}

/**
 * Whether `request` calls `method`, narrowing its message types: an
 * interceptor that changes one method's messages checks with it first.
 *
 * ```ts
 * if (isMethod(request, GreeterService.method.sayHello)) { ... request.messages is typed ... }
 * ```
 */
export function isMethod<I extends DescMessage, O extends DescMessage>(
  request: ClientRequest<DescMessage, DescMessage>,
  method: DescMethod & { readonly input: I; readonly output: O },
): request is ClientRequest<I, O> {
  return request.method === method || request.path === methodPath(method);
}

/**
 * The request an intercepted call starts its chain with: a copy of the
 * call's metadata and options (without the interceptors themselves).
 * @internal
 */
export function newClientRequest<I extends DescMessage, O extends DescMessage>(
  method: DescMethod & { readonly input: I; readonly output: O },
  options: CallOptions,
  messages: Messages<MessageInitShape<I>>,
): ClientRequest<I, O> {
  return { method, path: methodPath(method), metadata: new Metadata(options.metadata), options: { ...options, interceptors: undefined }, messages };
}
