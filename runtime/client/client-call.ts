import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Metadata } from "../metadata/metadata.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { MessageQueue } from "../util/message-queue.js";
import type { CallOptions } from "./call-options.js";
import type { Channel } from "./channel.js";
import { startCall, type CallHandle } from "./start-call.js";

/** How a call ended. */
export interface CallStatus {
  readonly code: Status;
  /** The status message (empty for OK). */
  readonly message: string;
  /** The trailing metadata. */
  readonly metadata: Metadata;
  /** The error for a status other than OK. */
  readonly error: GrpcError | undefined;
}

/**
 * The response side of a streaming call: iterate it with `for await`. Leaving
 * the loop early cancels the call. A status other than OK is thrown at the end.
 */
export interface ResponseStream<O extends DescMessage> extends AsyncIterable<MessageShape<O>> {
  /** The response headers; resolves empty if the call ended without any. */
  readonly headers: Promise<Metadata>;
  /** The trailing metadata; resolves when the call ends, on success or error. */
  readonly trailers: Promise<Metadata>;
  /** The final status; resolves when the call ends, never rejects. */
  readonly status: Promise<CallStatus>;
  /** The server's address (`host:port`) on the connection the call uses. */
  readonly peer: string;
  /** Cancels the call: the server sees RST_STREAM(CANCEL), the caller gets CANCELLED. */
  cancel(reason?: string): void;
}

/** Options of one `send()`. */
export interface SendOptions {
  /**
   * `false` sends this message uncompressed on a call that compresses (say,
   * one carrying a secret next to attacker-controlled data: CRIME/BREACH).
   * Default true.
   */
  compress?: boolean;
}

/**
 * The full-control form of any call, like grpclib's `open()`: send messages
 * one at a time, end the request side, receive messages one at a time, read
 * both kinds of metadata, cancel. `await using` cancels it if unfinished.
 */
export interface ClientCall<I extends DescMessage, O extends DescMessage> extends ResponseStream<O>, AsyncDisposable {
  readonly method: DescMethod;
  /**
   * Sends one message. Resolves once the stream can take more (flow control),
   * rejects with the call's error if it has ended.
   */
  send(message: MessageInitShape<I>, options?: SendOptions): Promise<void>;
  /** Ends the request side (half-close). */
  end(): void;
  /**
   * The next response message, or undefined once the server has ended the
   * stream with OK. Rejects with a GrpcError for any other status.
   */
  receive(): Promise<MessageShape<O> | undefined>;
  /** Whether `response`, a message this call received, arrived compressed. */
  wasCompressed(response: MessageShape<O>): boolean;
}

/** @internal */
export class ClientCallImpl<I extends DescMessage, O extends DescMessage> implements ClientCall<I, O> {
  readonly method: DescMethod;
  readonly headers: Promise<Metadata>;
  readonly trailers: Promise<Metadata>;
  readonly status: Promise<CallStatus>;
  readonly #transport: CallHandle<I>;
  readonly #queue: MessageQueue<MessageShape<O>>;
  #resolveHeaders!: (headers: Metadata) => void;
  #resolveTrailers!: (trailers: Metadata) => void;
  #resolveStatus!: (status: CallStatus) => void;
  #ended = false;
  #done = false;

  constructor(channel: Channel, method: DescMethod, options: CallOptions) {
    this.method = method;
    this.headers = new Promise((resolve) => (this.#resolveHeaders = resolve));
    this.trailers = new Promise((resolve) => (this.#resolveTrailers = resolve));
    this.status = new Promise((resolve) => (this.#resolveStatus = resolve));
    this.#queue = new MessageQueue<MessageShape<O>>({
      pause: () => this.#transport.pause(),
      resume: () => this.#transport.resume(),
    });
    this.#transport = startCall<I, O>(channel, method, options, {
      onHeaders: () => this.#resolveHeaders(this.#transport.headers),
      onMessage: (message) => this.#queue.push(message),
      onClose: (error) => {
        this.#done = true;
        const trailers = this.#transport.trailers;
        this.#resolveHeaders(this.#transport.headers);
        this.#resolveTrailers(trailers);
        this.#resolveStatus({
          code: error?.code ?? Status.OK,
          message: error?.rawMessage ?? "",
          metadata: trailers,
          error,
        });
        if (error === undefined) this.#queue.end();
        else this.#queue.fail(error);
      },
    });
  }

  async send(message: MessageInitShape<I>, options?: SendOptions): Promise<void> {
    if (this.#transport.closed) throw (await this.status).error ?? new GrpcError(Status.INTERNAL, "send() after the call ended");
    if (!this.write(message, options?.compress !== false)) await this.#transport.drained();
  }

  /**
   * Sends one message without waiting: returns false when the stream's buffer
   * is full, and the caller waits for `drained()`. Throws if the call has ended.
   * @internal
   */
  write(message: MessageInitShape<I>, compress = true): boolean {
    if (this.#ended) throw new GrpcError(Status.INTERNAL, "send() after end(): the request side is closed");
    return this.#transport.send(message, compress);
  }

  /** Resolves when the request stream can take more. @internal */
  drained(): Promise<void> {
    return this.#transport.drained();
  }

  /** Sends `message` and ends the request side in one write. @internal */
  sendLast(message: MessageInitShape<I>): void {
    this.#ended = true;
    this.#transport.sendLast(message);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#transport.closed) this.#transport.end();
  }

  wasCompressed(response: MessageShape<O>): boolean {
    return this.#transport.wasCompressed(response);
  }

  async receive(): Promise<MessageShape<O> | undefined> {
    const result = await this.#queue.next();
    return result.done ? undefined : result.value;
  }

  get peer(): string {
    return this.#transport.peer;
  }

  cancel(reason?: string): void {
    this.#transport.cancel(new GrpcError(Status.CANCELLED, reason === undefined ? "call cancelled" : `call cancelled: ${reason}`));
  }

  /** Cancels the call with an error from the request side (a failing input iterable). @internal */
  abort(error: GrpcError): void {
    this.#transport.cancel(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<MessageShape<O>> {
    return {
      next: () => this.#queue.next(),
      return: () => {
        // Leaving a `for await` early: the caller wants no more, so the call is cancelled.
        if (!this.#done) this.cancel("the response stream was abandoned");
        return this.#queue.return();
      },
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#done) this.cancel("disposed before the call ended");
    await this.status;
  }
}
