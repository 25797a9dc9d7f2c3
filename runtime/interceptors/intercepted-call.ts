import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { CallOptions } from "../client/call-options.js";
import { ClientCallImpl, type CallStatus, type ClientCall } from "../client/client-call.js";
import type { Channel } from "../client/channel.js";
import { pump } from "../client/pump.js";
import { Metadata } from "../metadata/metadata.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { Pushable } from "../util/pushable.js";
import type { ClientNext, ClientRequest, ClientResponse, Messages } from "./client-interceptor.js";

type Method<I extends DescMessage, O extends DescMessage> = DescMethod & { readonly input: I; readonly output: O };

/**
 * The innermost `next` of every client chain: the call on the wire. It
 * resolves once the response headers arrive, and fills `trailers` in when
 * the response messages have been read to their end.
 */
export function wireNext(channel: Channel): ClientNext {
  return async <I extends DescMessage, O extends DescMessage>(request: ClientRequest<I, O>): Promise<ClientResponse<O>> => {
    const call = new ClientCallImpl<I, O>(channel, request.method, { ...request.options, metadata: request.metadata });
    void pump(call, request.messages);
    await call.started();
    const trailers = new Metadata();
    return { headers: await call.headers, trailers, peer: call.peer, messages: readToEnd(call, trailers) };
  };
}

async function* readToEnd<O extends DescMessage>(call: ClientCallImpl<DescMessage, O>, trailers: Metadata): AsyncGenerator<MessageShape<O>> {
  try {
    for await (const message of call) yield message;
  } finally {
    // Filled in on OK and on error; a consumer that stopped early cancelled the call, and gets what came.
    trailers.merge(await call.trailers);
  }
}

/**
 * A call of any kind through an interceptor chain, in the full-control shape
 * (`ClientCall`) every call form is built on. `send()` feeds the request
 * stream the chain reads and waits until it is taken, so a slow chain or a
 * full connection holds the sender back.
 * @internal
 */
export class InterceptedCall<I extends DescMessage, O extends DescMessage> implements ClientCall<I, O> {
  readonly method: DescMethod;
  readonly headers: Promise<Metadata>;
  readonly trailers: Promise<Metadata>;
  readonly status: Promise<CallStatus>;
  readonly #options: CallOptions;
  readonly #requests: Pushable<MessageInitShape<I>> | undefined;
  readonly #response: Promise<ClientResponse<O>>;
  readonly #cancel = new AbortController();
  #resolveHeaders!: (headers: Metadata) => void;
  #resolveTrailers!: (trailers: Metadata) => void;
  #resolveStatus!: (status: CallStatus) => void;
  #result: ClientResponse<O> | undefined;
  #iterator: AsyncIterator<MessageShape<O>> | undefined;
  #ended = false;
  #done = false;
  #error: GrpcError | undefined;

  /** `requests`, when given, is the whole request stream; otherwise `send()` and `end()` make it. */
  constructor(next: ClientNext, method: Method<I, O>, options: CallOptions, requests?: Messages<MessageInitShape<I>>) {
    this.method = method;
    this.#options = options;
    this.headers = new Promise((resolve) => (this.#resolveHeaders = resolve));
    this.trailers = new Promise((resolve) => (this.#resolveTrailers = resolve));
    this.status = new Promise((resolve) => (this.#resolveStatus = resolve));
    if (requests === undefined) this.#requests = new Pushable<MessageInitShape<I>>();
    else this.#ended = true;
    const signal = options.signal === undefined ? this.#cancel.signal : AbortSignal.any([options.signal, this.#cancel.signal]);
    const request: ClientRequest<I, O> = {
      method,
      path: `/${method.parent.typeName}/${method.name}`,
      metadata: new Metadata(options.metadata),
      options: { ...options, signal, interceptors: undefined },
      messages: requests ?? this.#requests!,
    };
    let response: Promise<ClientResponse<O>>;
    try {
      response = next(request);
    } catch (error) {
      response = Promise.reject(error);
    }
    this.#response = response.then(
      (result) => {
        this.#result = result;
        this.#resolveHeaders(result.headers);
        this.#options.onHeader?.(result.headers);
        return result;
      },
      (error: unknown) => {
        const failure = GrpcError.from(error);
        this.#finish(failure, failure.metadata);
        throw failure;
      },
    );
    // Read by receive(); the failure also reaches status, so it is never unhandled.
    this.#response.catch(() => {});
  }

  get peer(): string {
    return this.#result?.peer ?? "";
  }

  async send(message: MessageInitShape<I>): Promise<void> {
    if (this.#done) throw this.#error ?? new GrpcError(Status.INTERNAL, "send() after the call ended");
    if (this.#ended || this.#requests === undefined) throw new GrpcError(Status.INTERNAL, "send() after end(): the request side is closed");
    try {
      await this.#requests.push(message);
    } catch {
      throw this.#error ?? new GrpcError(Status.INTERNAL, "send() after the call ended");
    }
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#requests?.end();
  }

  async receive(): Promise<MessageShape<O> | undefined> {
    if (this.#done && this.#iterator === undefined) {
      if (this.#error !== undefined) throw this.#error;
      return undefined;
    }
    const response = await this.#response;
    const iterator = (this.#iterator ??= iterate(response.messages));
    let result: IteratorResult<MessageShape<O>>;
    try {
      result = await iterator.next();
    } catch (error) {
      const failure = this.#error ?? GrpcError.from(error);
      this.#finish(failure, response.trailers.size > 0 ? response.trailers : failure.metadata);
      throw failure;
    }
    if (this.#done && this.#error !== undefined) throw this.#error;
    if (result.done === true) {
      this.#finish(undefined, response.trailers);
      return undefined;
    }
    return result.value;
  }

  /** Responses are decoded below the interceptors, which see messages only: always false here. */
  wasCompressed(): boolean {
    return false;
  }

  cancel(reason?: string): void {
    if (this.#done) return;
    const error = new GrpcError(Status.CANCELLED, reason === undefined ? "call cancelled" : `call cancelled: ${reason}`);
    this.#cancel.abort(error);
    this.#finish(error, error.metadata);
    void this.#iterator?.return?.()?.catch(() => {});
  }

  [Symbol.asyncIterator](): AsyncIterator<MessageShape<O>> {
    return {
      next: async () => {
        const message = await this.receive();
        return message === undefined ? { value: undefined, done: true } : { value: message, done: false };
      },
      return: () => {
        if (!this.#done) this.cancel("the response stream was abandoned");
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#done) this.cancel("disposed before the call ended");
    await this.status;
  }

  #finish(error: GrpcError | undefined, trailers: Metadata): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#resolveHeaders(this.#result?.headers ?? new Metadata());
    this.#resolveTrailers(trailers);
    this.#options.onTrailer?.(trailers);
    this.#requests?.stop(error ?? new GrpcError(Status.INTERNAL, "the call has ended"));
    this.#resolveStatus({ code: error?.code ?? Status.OK, message: error?.rawMessage ?? "", metadata: trailers, error });
  }
}

function iterate<T>(messages: Messages<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in messages) return messages[Symbol.asyncIterator]();
  const iterator = messages[Symbol.iterator]();
  return {
    next: () => Promise.resolve(iterator.next()),
    return: () => Promise.resolve(iterator.return?.() ?? { value: undefined, done: true }),
  };
}

/** A unary call through an interceptor chain: a call with one request that must answer exactly one message. */
export async function interceptedUnary<I extends DescMessage, O extends DescMessage>(
  next: ClientNext,
  method: Method<I, O>,
  requests: Messages<MessageInitShape<I>>,
  options: CallOptions,
): Promise<MessageShape<O>> {
  const call = new InterceptedCall<I, O>(next, method, options, requests);
  const response = await call.receive();
  if (response === undefined) throw new GrpcError(Status.UNIMPLEMENTED, `protocol error: no response message for a ${kindName(method)} call`);
  if ((await call.receive()) !== undefined) {
    call.cancel("more than one response message");
    throw new GrpcError(Status.UNIMPLEMENTED, `protocol error: received more than one response message for a ${kindName(method)} call`);
  }
  return response;
}

function kindName(method: DescMethod): string {
  return method.methodKind === "unary" ? "unary" : "client-streaming";
}
