import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { CallOptions } from "../client/call-options.js";
import type { CallStatus, ClientCall } from "../client/client-call.js";
import { Metadata } from "../metadata/metadata.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { Pushable } from "../util/pushable.js";
import { newClientRequest, type ClientNext, type ClientRequest, type ClientResponse, type Messages } from "./client-interceptor.js";
import { requestOwner, type OwnedRequest, type WireCall } from "./wire-call.js";

type Method<I extends DescMessage, O extends DescMessage> = DescMethod & { readonly input: I; readonly output: O };

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
  /** The call on the wire now (the latest, if an interceptor retried). */
  #wire: WireCall<never, never> | undefined;
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
    const request: ClientRequest<I, O> & OwnedRequest = {
      ...newClientRequest<I, O>(method, options, requests ?? this.#requests!),
      [requestOwner]: {
        attach: (call) => {
          this.#wire = call;
          if (this.#done && this.#error?.code === Status.CANCELLED) call.cancel("the call was cancelled");
        },
      },
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
    const result = await this.#next();
    return result.done === true ? undefined : result.value;
  }

  /** The next response. Once the response has started, a message costs one call of its stream's iterator. */
  #next(): Promise<IteratorResult<MessageShape<O>>> {
    const iterator = this.#iterator;
    if (iterator !== undefined && !this.#done) return iterator.next().then(this.#onResult, this.#onError);
    if (this.#done && iterator === undefined) {
      return this.#error !== undefined ? Promise.reject(this.#error) : Promise.resolve({ value: undefined, done: true });
    }
    return this.#response.then((response) => {
      if (this.#done && this.#iterator === undefined && this.#error !== undefined) throw this.#error;
      const it = (this.#iterator ??= iterate(response.messages));
      return it.next().then(this.#onResult, this.#onError);
    });
  }

  readonly #onResult = (result: IteratorResult<MessageShape<O>>): IteratorResult<MessageShape<O>> => {
    if (this.#done && this.#error !== undefined) throw this.#error;
    if (result.done === true) this.#finish(undefined, this.#result!.trailers);
    return result;
  };

  readonly #onError = (error: unknown): never => {
    const failure = this.#error ?? GrpcError.from(error);
    const trailers = this.#result?.trailers;
    this.#finish(failure, trailers !== undefined && trailers.size > 0 ? trailers : failure.metadata);
    throw failure;
  };

  /** Responses are decoded below the interceptors, which see messages only: always false here. */
  wasCompressed(): boolean {
    return false;
  }

  cancel(reason?: string): void {
    if (this.#done) return;
    const error = new GrpcError(Status.CANCELLED, reason === undefined ? "call cancelled" : `call cancelled: ${reason}`);
    this.#finish(error, error.metadata);
    this.#wire?.cancel(reason ?? "the call was cancelled");
    void this.#iterator?.return?.()?.catch(() => {});
  }

  [Symbol.asyncIterator](): AsyncIterator<MessageShape<O>> {
    return {
      next: () => this.#next(),
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
