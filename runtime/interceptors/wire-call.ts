import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { CallListener } from "../client/call-transport.js";
import { startCall, type CallHandle } from "../client/start-call.js";
import type { Channel } from "../client/channel.js";
import { Metadata } from "../metadata/metadata.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { MessageQueue } from "../util/message-queue.js";
import { pump, type RequestSink } from "../client/pump.js";
import type { ClientNext, ClientRequest, ClientResponse, Messages } from "./client-interceptor.js";

/**
 * Where a request made by an InterceptedCall tells `wireNext` which call it
 * belongs to, so `cancel()` reaches the call on the wire without an
 * AbortController per call. Spreading or mutating the request keeps it.
 * @internal
 */
export const requestOwner = Symbol("tsgrpc.interceptedCall");
/** @internal */
export type OwnedRequest = { [requestOwner]?: { attach(call: WireCall<never, never>): void } };

/**
 * The innermost `next` of every client chain: the call on the wire. It
 * resolves once the response headers arrive (or the call ends with OK
 * without them), rejects with the call's error if it ended before, and
 * fills `trailers` in when the call ends.
 */
export function wireNext(channel: Channel): ClientNext {
  return <I extends DescMessage, O extends DescMessage>(request: ClientRequest<I, O>): Promise<ClientResponse<O>> => {
    let call: WireCall<I, O>;
    try {
      call = new WireCall<I, O>(channel, request);
    } catch (error) {
      return Promise.reject(GrpcError.from(error, Status.INTERNAL));
    }
    (request as OwnedRequest)[requestOwner]?.attach(call as unknown as WireCall<never, never>);
    call.sendAll(request.messages);
    return call.started();
  };
}

/**
 * One call on the wire for an interceptor chain: a transport, a bounded
 * queue of responses (flow control as everywhere), and the response object
 * the chain gets.
 * @internal
 */
export class WireCall<I extends DescMessage, O extends DescMessage> implements CallListener<O>, RequestSink<I> {
  readonly #transport: CallHandle<I>;
  readonly #queue: MessageQueue<MessageShape<O>>;
  readonly #trailers = new Metadata();
  readonly #kind: string;
  #sawHeaders = false;
  #closed = false;
  #error: GrpcError | undefined;
  #start: { resolve: (response: ClientResponse<O>) => void; reject: (error: GrpcError) => void } | undefined;

  constructor(channel: Channel, request: ClientRequest<I, O>) {
    this.#kind = request.method.methodKind;
    // The caller's header and trailer callbacks get what the interceptors make of them, not the wire's.
    const options = { ...request.options, metadata: request.metadata, onHeader: undefined, onTrailer: undefined, interceptors: undefined };
    // Through startCall, so the method's service config (retries, timeout, waitForReady) applies below the interceptors.
    // (Responses arrive only after this returns, so the queue below is there for them.)
    this.#transport = startCall<I, O>(channel, request.method, options, this);
    // The transport itself pauses and resumes reading when the queue fills and empties.
    this.#queue = new MessageQueue<MessageShape<O>>(this.#transport);
  }

  /** Sends the request messages: one in a single write with the end of the request side, a stream with backpressure. */
  sendAll(messages: Messages<MessageInitShape<I>>): void {
    if (Array.isArray(messages) && messages.length === 1 && this.#kind !== "bidi_streaming") {
      try {
        this.#transport.sendLast(messages[0] as MessageInitShape<I>);
      } catch {
        // The call now ends with the send error; started() rejects with it.
      }
      return;
    }
    void pump(this, messages);
  }

  // The request side, as `pump` drives it.
  write(message: MessageInitShape<I>): boolean {
    return this.#transport.send(message);
  }

  drained(): Promise<void> {
    return this.#transport.drained();
  }

  end(): void {
    if (!this.#transport.closed) this.#transport.end();
  }

  abort(error: GrpcError): void {
    this.#transport.cancel(error);
  }

  /** Resolves with the response once it has started; rejects if the call ended before with an error. */
  started(): Promise<ClientResponse<O>> {
    if (this.#sawHeaders || (this.#closed && this.#error === undefined)) return Promise.resolve(this.#response());
    if (this.#closed) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => (this.#start = { resolve, reject }));
  }

  cancel(reason: string): void {
    this.#transport.cancel(new GrpcError(Status.CANCELLED, `call cancelled: ${reason}`));
  }

  onHeaders(): void {
    this.#sawHeaders = true;
    const start = this.#start;
    this.#start = undefined;
    start?.resolve(this.#response());
  }

  onMessage(message: MessageShape<O>): void {
    this.#queue.push(message);
  }

  onClose(error: GrpcError | undefined): void {
    this.#closed = true;
    this.#error = error;
    this.#trailers.merge(this.#transport.trailers);
    if (error === undefined) this.#queue.end();
    else this.#queue.fail(error);
    const start = this.#start;
    this.#start = undefined;
    if (start === undefined) return;
    if (error !== undefined && !this.#sawHeaders) start.reject(error);
    else start.resolve(this.#response());
  }

  #response(): ClientResponse<O> {
    const transport = this.#transport;
    // Own getters, not a class's: interceptors spread responses (`{ ...response, messages }`).
    return {
      get headers() {
        return transport.headers;
      },
      messages: new WireMessages<O>(this.#queue, transport, () => this.#closed),
      trailers: this.#trailers,
      get peer() {
        return transport.peer;
      },
    };
  }

}

/** The response messages from the wire: the call's queue; stopping early cancels the call. */
class WireMessages<O extends DescMessage> implements AsyncIterable<MessageShape<O>>, AsyncIterator<MessageShape<O>> {
  readonly #queue: MessageQueue<MessageShape<O>>;
  readonly #transport: CallHandle<never>;
  readonly #closed: () => boolean;

  constructor(queue: MessageQueue<MessageShape<O>>, transport: CallHandle<never>, closed: () => boolean) {
    this.#queue = queue;
    this.#transport = transport;
    this.#closed = closed;
  }

  [Symbol.asyncIterator](): AsyncIterator<MessageShape<O>> {
    return this;
  }

  next(): Promise<IteratorResult<MessageShape<O>>> {
    return this.#queue.next();
  }

  return(): Promise<IteratorResult<MessageShape<O>>> {
    // The reader stopped early: it wants no more, so the call is cancelled.
    if (!this.#closed()) this.#transport.cancel(new GrpcError(Status.CANCELLED, "call cancelled: the response stream was abandoned"));
    return this.#queue.return();
  }
}
