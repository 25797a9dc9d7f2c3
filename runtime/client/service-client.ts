import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { resolveCallOptions, type CallOptions } from "./call-options.js";
import type { Channel } from "./channel.js";
import { ClientCallImpl, type ClientCall, type ResponseStream } from "./client-call.js";
import { unaryCall } from "./unary-call.js";

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
      return unaryCall<I, O>(this.channel, method, request, resolveCallOptions(this.#defaults, options));
    } catch (error) {
      return Promise.reject(GrpcError.from(error, Status.INTERNAL));
    }
  }

  serverStreaming<I extends DescMessage, O extends DescMessage>(
    method: Method<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): ResponseStream<O> {
    const call = new ClientCallImpl<I, O>(this.channel, method, resolveCallOptions(this.#defaults, options));
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
    const call = new ClientCallImpl<I, O>(this.channel, method, resolveCallOptions(this.#defaults, options));
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
    const call = new ClientCallImpl<I, O>(this.channel, method, resolveCallOptions(this.#defaults, options));
    void pump(call, requests);
    return call;
  }

  /** The full-control form of a call of any kind. */
  open<I extends DescMessage, O extends DescMessage>(method: Method<I, O>, options?: CallOptions): ClientCall<I, O> {
    return new ClientCallImpl<I, O>(this.channel, method, resolveCallOptions(this.#defaults, options));
  }
}

/**
 * Sends every message of `requests`, then ends the request side. If the call
 * ends first, sending stops (and the iterable's `return()` runs); if the
 * iterable throws, the call is cancelled with that error.
 */
async function pump<I extends DescMessage>(call: ClientCallImpl<I, DescMessage>, requests: StreamInput<I>): Promise<void> {
  let sending = false;
  try {
    if (Symbol.asyncIterator in requests) {
      for await (const message of requests) {
        sending = true;
        if (!call.write(message)) await call.drained();
        sending = false;
      }
    } else {
      // A sync iterable is sent without a promise per message; only backpressure waits.
      for (const message of requests) {
        sending = true;
        if (!call.write(message)) await call.drained();
        sending = false;
      }
    }
  } catch (error) {
    // A failed send means the call already ended, and its status says why.
    if (!sending) {
      const detail = error instanceof Error ? error.message : String(error);
      call.abort(new GrpcError(Status.CANCELLED, `request stream failed: ${detail}`, { cause: error }));
    }
    return;
  }
  call.end();
}
