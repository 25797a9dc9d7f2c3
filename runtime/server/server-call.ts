import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream, ServerStreamResponseOptions } from "node:http2";
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { MessageCodec } from "../codec/codec.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";
import { MessageDecoder, frameMessage } from "../protocol/framing.js";
import { CONTENT_TYPE, statusTrailers } from "../protocol/headers.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { BatchedWriter } from "../util/batched-writer.js";
import { MessageQueue } from "../util/message-queue.js";

/**
 * The server side of one call, passed to every handler as `call`.
 */
export interface ServerCall {
  /** The method being called. */
  readonly method: DescMethod;
  /** The request path, `/package.Service/Method`. */
  readonly path: string;
  /** The request metadata (custom headers sent by the client). */
  readonly metadata: Metadata;
  /** The remote address, `host:port` (`[v6]:port` for IPv6). */
  readonly peer: string;
  /** The client's user-agent header, if it sent one. */
  readonly userAgent: string | undefined;
  /**
   * Aborts when the call ends before the handler does: the client cancelled,
   * the deadline passed, the connection dropped or the server was shut down.
   */
  readonly signal: AbortSignal;
  /** The deadline as epoch milliseconds, from the client's `grpc-timeout`, or undefined. */
  readonly deadline: number | undefined;
  /** Milliseconds left before the deadline (Infinity without one, never negative). */
  timeRemaining(): number;
  /** Response headers; change them until they are sent (by `sendHeader()` or the first message). */
  readonly header: Metadata;
  /** Trailing metadata, sent with the status when the call ends; change it until then. */
  readonly trailer: Metadata;
  /** Whether the response headers have gone out. */
  readonly headerSent: boolean;
  /**
   * Sends the response headers now, before or without a first message, adding
   * `metadata` to `call.header`. Throws if they were already sent.
   */
  sendHeader(metadata?: MetadataInit): void;
}

/** Limits and hooks a call needs from its server. */
export interface ServerCallOptions {
  readonly maxReceiveMessageSize: number;
  readonly maxSendMessageSize: number;
  readonly onHandlerError: (error: unknown, call: ServerCall) => void;
}

const enum State {
  /** Nothing sent: an error now goes out as a trailers-only response. */
  Idle,
  /** Headers sent, messages may follow. */
  Open,
  /** Status sent or the stream is gone. */
  Done,
}

/**
 * Options for `stream.respond()`. Node adds a `date` header to every response
 * unless `sendDate` is false; gRPC has no use for it, so it is not sent. (Node
 * reads `sendDate`, but @types/node does not declare it.)
 */
export const RESPOND_OPEN = { waitForTrailers: true, sendDate: false } as ServerStreamResponseOptions;
export const RESPOND_END = { endStream: true, sendDate: false } as ServerStreamResponseOptions;

const cancelledByClient = () => new GrpcError(Status.CANCELLED, "call cancelled by the client");

/**
 * One call on one HTTP/2 stream: reads and decodes requests, frames and writes
 * responses with backpressure, and ends with a status in trailers (or a
 * trailers-only response when nothing was sent). Used for all four kinds.
 * @internal
 */
export class ServerCallImpl<I extends DescMessage, O extends DescMessage> implements ServerCall {
  readonly method: DescMethod;
  readonly deadline: number | undefined;
  readonly #stream: ServerHttp2Stream;
  readonly #requestHeaders: IncomingHttpHeaders;
  readonly #input: MessageCodec<I>;
  readonly #output: MessageCodec<O>;
  readonly #options: ServerCallOptions;
  #state = State.Idle;
  #metadata: Metadata | undefined;
  #header: Metadata | undefined;
  #trailer: Metadata | undefined;
  #controller: AbortController | undefined;
  /** Why the call ended early, once it has. */
  #abortReason: GrpcError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pendingTrailers: OutgoingHttpHeaders | undefined;
  #decoder: MessageDecoder;
  #writer: BatchedWriter | undefined;
  /** Streaming requests go to the queue; a unary request is kept in `#single`. */
  #queue: MessageQueue<MessageShape<I>> | undefined;
  #single: { message?: MessageShape<I>; count: number; resolve?: (m: MessageShape<I>) => void; reject?: (e: unknown) => void } | undefined;

  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    method: DescMethod,
    input: MessageCodec<I>,
    output: MessageCodec<O>,
    options: ServerCallOptions,
    timeoutMs: number | undefined,
  ) {
    this.#stream = stream;
    this.#requestHeaders = headers;
    this.method = method;
    this.#input = input;
    this.#output = output;
    this.#options = options;
    this.#decoder = new MessageDecoder(options.maxReceiveMessageSize, (bytes, compressed) => this.#onMessage(bytes, compressed));
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs;
      this.#timer = setTimeout(() => this.abort(new GrpcError(Status.DEADLINE_EXCEEDED, "deadline exceeded")), timeoutMs);
    }
    stream.on("data", (chunk: Buffer) => {
      if (this.#state === State.Done) return;
      try {
        this.#decoder.push(chunk);
      } catch (error) {
        this.abort(GrpcError.from(error, Status.INTERNAL));
      }
    });
    stream.on("end", () => this.#onEnd());
    stream.on("close", () => this.#onClose());
    stream.on("wantTrailers", () => this.#sendTrailers());
    // Stream errors are followed by "close"; a listener keeps them from crashing the process.
    stream.on("error", () => {});
  }

  get path(): string {
    return this.#requestHeaders[":path"]!;
  }

  get metadata(): Metadata {
    return (this.#metadata ??= Metadata.fromHeaders(this.#requestHeaders));
  }

  get userAgent(): string | undefined {
    return this.#requestHeaders["user-agent"];
  }

  get peer(): string {
    const socket = this.#stream.session?.socket;
    if (socket === undefined) return "unknown";
    const address = socket.remoteAddress ?? "unknown";
    return address.includes(":") ? `[${address}]:${socket.remotePort}` : `${address}:${socket.remotePort}`;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  timeRemaining(): number {
    return this.deadline === undefined ? Infinity : Math.max(0, this.deadline - Date.now());
  }

  get header(): Metadata {
    return (this.#header ??= new Metadata());
  }

  get trailer(): Metadata {
    return (this.#trailer ??= new Metadata());
  }

  get headerSent(): boolean {
    return this.#state !== State.Idle;
  }

  sendHeader(metadata?: MetadataInit): void {
    if (this.#state !== State.Idle) throw new Error("response headers were already sent");
    if (metadata !== undefined) this.header.merge(new Metadata(metadata));
    this.#respond();
  }

  /** The single request of a unary or server-streaming call. */
  readRequest(): Promise<MessageShape<I>> {
    const single = (this.#single ??= { count: 0 });
    if (single.message !== undefined && this.#stream.readableEnded) return Promise.resolve(single.message);
    return new Promise((resolve, reject) => {
      single.resolve = resolve;
      single.reject = reject;
    });
  }

  /** The requests of a client-streaming or bidi call. */
  requests(): AsyncIterable<MessageShape<I>> {
    return (this.#queue ??= new MessageQueue<MessageShape<I>>({
      pause: () => this.#stream.pause(),
      resume: () => this.#stream.resume(),
    }));
  }

  /**
   * Writes one response message. Returns a promise only when the stream's
   * buffer is full, so fast paths pay nothing; it settles on drain. Throws
   * the abort reason once the call has ended.
   */
  send(message: MessageInitShape<O>): Promise<void> | undefined {
    if (this.#state === State.Done) throw this.#abortReason ?? new GrpcError(Status.INTERNAL, "call already ended");
    const bytes = this.#output.encode(message);
    this.#checkSendSize(bytes);
    if (this.#state === State.Idle) this.#respond();
    const writer = (this.#writer ??= new BatchedWriter(this.#stream));
    if (writer.write(frameMessage(bytes))) return undefined;
    return writer.drained().then(() => {
      if (this.#state === State.Done && this.#abortReason !== undefined) throw this.#abortReason;
    });
  }

  /** Sends the one response of a unary or client-streaming call, then OK. */
  sendUnary(message: MessageInitShape<O>): void {
    if (this.#state === State.Done) return;
    const bytes = this.#output.encode(message);
    this.#checkSendSize(bytes);
    if (this.#state === State.Idle) this.#respond();
    this.#state = State.Done;
    this.#clearTimer();
    this.#pendingTrailers = statusTrailers(Status.OK, "", this.#trailer);
    this.#stream.end(frameMessage(bytes));
    this.#drainRequests();
  }

  /** Ends the call with OK (streaming responses). */
  finish(): void {
    this.#end(undefined);
  }

  /**
   * Ends the call with an error thrown by a handler. A GrpcError is sent as
   * is; anything else is reported to the server's error hook and becomes
   * UNKNOWN, with no message or stack from the error.
   */
  fail(error: unknown): void {
    if (this.#state === State.Done) return;
    if (error instanceof GrpcError) {
      this.#end(error);
      return;
    }
    this.#options.onHandlerError(error, this);
    this.#end(new GrpcError(Status.UNKNOWN, "unexpected error in the handler"));
  }

  /**
   * Ends the call early with `reason` (deadline, server shutdown, bad input):
   * the status goes to the client, the handler's signal aborts and its
   * request stream throws.
   */
  abort(reason: GrpcError): void {
    if (this.#state === State.Done) return;
    this.#end(reason);
    this.#markAborted(reason);
  }

  #checkSendSize(bytes: Uint8Array): void {
    if (bytes.byteLength > this.#options.maxSendMessageSize) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `trying to send message larger than max (${bytes.byteLength} vs. ${this.#options.maxSendMessageSize})`,
      );
    }
  }

  #respond(): void {
    const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": CONTENT_TYPE };
    this.#header?.writeHeaders(headers);
    this.#stream.respond(headers, RESPOND_OPEN);
    this.#state = State.Open;
  }

  #end(error: GrpcError | undefined): void {
    if (this.#state === State.Done) return;
    const stream = this.#stream;
    const idle = this.#state === State.Idle;
    this.#state = State.Done;
    this.#clearTimer();
    if (stream.destroyed || stream.closed) return;
    const trailers = statusTrailers(error?.code ?? Status.OK, error?.rawMessage ?? "", mergeMetadata(this.#trailer, error?.metadata), error?.rawDetails);
    if (idle) {
      // Trailers-only: one HEADERS frame that ends the stream (PROTOCOL-HTTP2, "Trailers-Only").
      const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": CONTENT_TYPE };
      this.#header?.writeHeaders(headers);
      Object.assign(headers, trailers);
      stream.respond(headers, RESPOND_END);
    } else {
      this.#pendingTrailers = trailers;
      stream.end();
    }
    this.#drainRequests();
  }

  #sendTrailers(): void {
    const trailers = this.#pendingTrailers ?? statusTrailers(Status.OK, "", this.#trailer);
    this.#pendingTrailers = undefined;
    try {
      this.#stream.sendTrailers(trailers);
    } catch {
      // The stream was reset in between; the client sees the reset.
    }
  }


  /** After the status is sent, read and drop whatever the client still sends, so its stream can finish. */
  #drainRequests(): void {
    if (!this.#stream.readableEnded) this.#stream.resume();
  }

  #onMessage(bytes: Uint8Array, compressed: boolean): void {
    if (compressed) {
      throw new GrpcError(Status.INTERNAL, "protocol error: compressed message received without grpc-encoding");
    }
    let message: MessageShape<I>;
    try {
      message = this.#input.decode(bytes);
    } catch (error) {
      throw new GrpcError(Status.INTERNAL, `failed to parse request message: ${(error as Error).message}`);
    }
    if (this.#queue !== undefined) {
      this.#queue.push(message);
      return;
    }
    const single = (this.#single ??= { count: 0 });
    if (++single.count > 1) throw new GrpcError(Status.UNIMPLEMENTED, `method ${this.path} expects a single request message, got more`);
    single.message = message;
  }

  #onEnd(): void {
    if (this.#state === State.Done) return;
    if (!this.#decoder.idle) {
      this.abort(new GrpcError(Status.INTERNAL, "protocol error: request ended inside a message"));
      return;
    }
    if (this.#queue !== undefined) {
      this.#queue.end();
      return;
    }
    const single = (this.#single ??= { count: 0 });
    if (single.message !== undefined) single.resolve?.(single.message);
    else if (single.resolve !== undefined) {
      this.abort(new GrpcError(Status.UNIMPLEMENTED, `method ${this.path} expects a request message, got none`));
    }
  }

  #onClose(): void {
    this.#clearTimer();
    if (this.#state !== State.Done) {
      this.#state = State.Done;
      this.#markAborted(cancelledByClient());
    }
  }

  #markAborted(reason: GrpcError): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
    this.#queue?.fail(reason);
    this.#single?.reject?.(reason);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}

function mergeMetadata(a: Metadata | undefined, b: Metadata | undefined): Metadata | undefined {
  if (b === undefined || b.size === 0) return a;
  if (a === undefined || a.size === 0) return b;
  return new Metadata(a).merge(b);
}
