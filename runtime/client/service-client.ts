import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { resolveCallOptions, type CallOptions } from "./call-options.js";
import type { Channel } from "./channel.js";
import { ClientCallImpl, type ClientCall, type ResponseStream } from "./client-call.js";
import { unaryCall } from "./unary-call.js";
import { pump } from "./pump.js";
import { chainClient, type ClientInterceptor, type ClientNext } from "../interceptors/client-interceptor.js";
import { InterceptedCall } from "../interceptors/intercepted-call.js";
import { interceptedUnary } from "../interceptors/intercepted-unary.js";
import { wireNext } from "../interceptors/wire-call.js";

/** A stream of request messages for client-streaming and bidi calls: sync or async. */
export type StreamInput<I extends DescMessage> = AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>;

/** A method descriptor with its message types, as generated service descriptors carry them. */
type Method<I extends DescMessage, O extends DescMessage> = DescMethod & { readonly input: I; readonly output: O };

/**
 * Makes calls on a channel with default options. Generated `<Service>Client`
 * classes delegate every method to one of these.
 */
export class ServiceClient {
  readonly channel: Channel;
  readonly #defaults: CallOptions | undefined;
  #cached: { own: readonly ClientInterceptor[] | undefined; events: ClientInterceptor | undefined; chain: ClientNext } | undefined;

  constructor(channel: Channel, defaults?: CallOptions) {
    this.channel = channel;
    this.#defaults = defaults;
  }

  unary<I extends DescMessage, O extends DescMessage>(
    method: Method<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    try {
      const resolved = resolveCallOptions(this.#defaults, options);
      const chain = this.#chain(resolved);
      if (chain !== undefined) return interceptedUnary<I, O>(chain, method, [request], resolved);
      return unaryCall<I, O>(this.channel, method, request, resolved);
    } catch (error) {
      return Promise.reject(GrpcError.from(error, Status.INTERNAL));
    }
  }

  serverStreaming<I extends DescMessage, O extends DescMessage>(
    method: Method<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): ResponseStream<O> {
    const resolved = resolveCallOptions(this.#defaults, options);
    const chain = this.#chain(resolved);
    if (chain !== undefined) return new InterceptedCall<I, O>(chain, method, resolved, [request]);
    const call = new ClientCallImpl<I, O>(this.channel, method, resolved);
    try {
      call.sendLast(request);
    } catch {
      // The call now ends with the send error; iteration throws it.
    }
    return call;
  }

  async clientStreaming<I extends DescMessage, O extends DescMessage>(
    method: Method<I, O>,
    requests: StreamInput<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    const resolved = resolveCallOptions(this.#defaults, options);
    const chain = this.#chain(resolved);
    if (chain !== undefined) return interceptedUnary<I, O>(chain, method, requests, resolved);
    const call = new ClientCallImpl<I, O>(this.channel, method, resolved);
    void pump(call, requests);
    const response = await call.receive();
    if (response === undefined) throw new GrpcError(Status.UNIMPLEMENTED, "protocol error: no response message for a client-streaming call");
    if ((await call.receive()) !== undefined) {
      throw new GrpcError(Status.UNIMPLEMENTED, "protocol error: more than one response message for a client-streaming call");
    }
    return response;
  }

  bidiStreaming<I extends DescMessage, O extends DescMessage>(
    method: Method<I, O>,
    requests: StreamInput<I>,
    options?: CallOptions,
  ): ResponseStream<O> {
    const resolved = resolveCallOptions(this.#defaults, options);
    const chain = this.#chain(resolved);
    if (chain !== undefined) return new InterceptedCall<I, O>(chain, method, resolved, requests);
    const call = new ClientCallImpl<I, O>(this.channel, method, resolved);
    void pump(call, requests);
    return call;
  }

  /** The full-control form of a call of any kind. */
  open<I extends DescMessage, O extends DescMessage>(method: Method<I, O>, options?: CallOptions): ClientCall<I, O> {
    const resolved = resolveCallOptions(this.#defaults, options);
    const chain = this.#chain(resolved);
    if (chain !== undefined) return new InterceptedCall<I, O>(chain, method, resolved);
    return new ClientCallImpl<I, O>(this.channel, method, resolved);
  }

  /**
   * The interceptor chain for a call, outermost first: the channel's, the
   * client's and the call's own (merged into `options`), then the channel's
   * event listeners next to the wire. Undefined when there is none, and the
   * call goes straight to the transport.
   */
  #chain(options: CallOptions): ClientNext | undefined {
    const channel = this.channel;
    const events = channel.eventsInterceptor();
    const own = options.interceptors;
    if (channel.interceptors.length === 0 && (own === undefined || own.length === 0) && events === undefined) return undefined;
    // Calls without interceptors of their own share the client's chain.
    const cached = this.#cached;
    if (cached !== undefined && cached.own === own && cached.events === events) return cached.chain;
    const all = [...channel.interceptors, ...(own ?? [])];
    if (events !== undefined) all.push(events);
    const chain = chainClient(all, wireNext(channel));
    this.#cached = { own, events, chain };
    return chain;
  }
}
