import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream, ServerStreamResponseOptions } from "node:http2";
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { MessageCodec } from "../codec/codec.js";
import { accepts, checkCompression, frameCompressed, type Compression, type CompressionAlgorithm } from "../compression/compression.js";
import { InboundMessages } from "../compression/inbound.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";
import { encodeFrame } from "../codec/encode-frame.js";
import { MessageDecoder, sendSizeError } from "../protocol/framing.js";
import { headerListSize, peerHeaderListLimit } from "../protocol/header-size.js";
import { HEADER_ACCEPT_ENCODING, HEADER_ENCODING, statusTrailers } from "../protocol/headers.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { Socket } from "node:net";
import { BatchedWriter } from "../util/batched-writer.js";
import { peerCertificate, remoteAddress } from "../util/peer.js";
import type { PeerCertificate } from "node:tls";
import { MessageQueue } from "../util/message-queue.js";
import { ContextValues } from "../interceptors/context-values.js";
import type { AnyHandler } from "./invoke-handler.js";

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
  /** The remote address, `host:port` (`[v6]:port` for IPv6), or `unix:` on a UNIX socket. */
  readonly peer: string;
  /**
   * The client's certificate on a TLS connection where the client presented
   * one (mutual TLS: the server's `tls.requireClientCert`), already verified
   * against the server's `tls.ca`; undefined otherwise. Node's
   * `PeerCertificate`: `subject.CN`, `subjectaltname`, `fingerprint256`,
   * `raw` (DER), ...
   */
  readonly peerCertificate: PeerCertificate | undefined;
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
  /**
   * How the following responses are sent: compressed with `"gzip"` or
   * `"deflate"`, or not compressed (`"identity"`, say for messages carrying a
   * secret next to attacker-controlled data: CRIME/BREACH). The default is
   * the server's `compression` option.
   *
   * The algorithm goes in the response headers (`grpc-encoding`), so it is
   * picked before they are sent, and only if the client accepts it (its
   * `grpc-accept-encoding`): otherwise responses go uncompressed. After
   * that, switching between it and `"identity"` works per message; naming
   * another algorithm throws.
   */
  setCompression(encoding: Compression): void;
  /** The request's `grpc-encoding`: how the client compresses its messages (`"identity"` when it does not). */
  readonly requestEncoding: string;
  /** Whether `request`, a message this call received, arrived compressed. */
  wasCompressed(request: object): boolean;
  /** Values attached to the call by interceptors (see `contextKey()`), for the handler to read. */
  readonly context: ContextValues;
  /**
   * Resolves when the call has ended, with the status the client was sent
   * (CANCELLED if the client went away first). For interceptors that record
   * how calls end: it also covers deadlines, cancellation and shutdown,
   * which the handler may never notice.
   */
  readonly status: Promise<ServerCallStatus>;
}

/** How a server call ended. */
export interface ServerCallStatus {
  readonly code: Status;
  /** The status message (empty for OK). */
  readonly message: string;
}

/**
 * Hooks run synchronously just before the response headers and the status
 * go out, for the SendInitialMetadata and SendTrailingMetadata events.
 * @internal
 */
export interface ServerCallHooks {
  /** Gets the response headers; may change them or return others. */
  beforeHeaders?(headers: Metadata): Metadata | void;
  /** Gets the trailing metadata and the status; may change it or return other metadata. */
  beforeTrailers?(trailers: Metadata, error: GrpcError | undefined): Metadata | void;
}

/** Limits and hooks a call needs from its server. */
export interface ServerCallOptions {
  readonly maxReceiveMessageSize: number;
  readonly maxSendMessageSize: number;
  /** The response encoding unless a handler picks one. */
  readonly compression: Compression;
  /** Messages smaller than this are sent uncompressed. */
  readonly compressMinBytes: number;
  readonly onHandlerError: (error: unknown, call: ServerCall) => void;
  /** Called once the call is over (its stream closed or reset), so the server stops tracking it. */
  readonly untrack?: (call: ServerCall) => void;
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

/** The call of a stream, for the shared stream listeners. */
const OWNER = Symbol("tsgrpc.serverCall");
type AnyCall = ServerCallImpl<DescMessage, DescMessage>;
type OwnedStream = ServerHttp2Stream & { [OWNER]?: AnyCall };

/** Response headers with nothing but the content-type, one object per content-type (node:http2 copies what it is given). */
const plainHeaders = new Map<string, OutgoingHttpHeaders>();
function plainResponseHeaders(contentType: string): OutgoingHttpHeaders {
  let headers = plainHeaders.get(contentType);
  if (headers === undefined) {
    headers = Object.freeze({ ":status": 200, "content-type": contentType });
    plainHeaders.set(contentType, headers);
  }
  return headers;
}

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
  readonly #contentType: string;
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
  /** Whether the request queue has paused the stream (it is full). */
  #queuePaused = false;
  // Compression: none of these is set on a call that uses none.
  /** Made when the first compressed request arrives; every later one goes through it, in order. */
  #inbound: InboundMessages | undefined;
  /** The request messages that arrived compressed. */
  #compressedRequests: WeakSet<object> | undefined;
  /** The algorithm a handler asked for with setCompression(). */
  #wantedEncoding: CompressionAlgorithm | undefined;
  /** The response encoding, once the headers that name it are sent. */
  #encoder: CompressionAlgorithm | undefined;
  /** False while a handler has turned compression off for the next messages. */
  #compressing = true;
  /** The last write waiting for an asynchronous compression; later writes go after it. */
  #pendingWrite: Promise<void> | undefined;
  #context: ContextValues | undefined;
  #status: Promise<ServerCallStatus> | undefined;
  #resolveStatus: ((status: ServerCallStatus) => void) | undefined;
  #endCode: Status | undefined;
  #endMessage = "";
  /** Set by event listeners only: a call nobody listens to never runs them. @internal */
  hooks: ServerCallHooks | undefined;
  /** The route's handler, for a RecvRequest listener to see (set with interceptors only). @internal */
  handler: AnyHandler | undefined;

  constructor(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    method: DescMethod,
    input: MessageCodec<I>,
    output: MessageCodec<O>,
    contentType: string,
    options: ServerCallOptions,
    timeoutMs: number | undefined,
  ) {
    this.#stream = stream;
    this.#requestHeaders = headers;
    this.method = method;
    this.#input = input;
    this.#output = output;
    this.#contentType = contentType;
    this.#options = options;
    this.#decoder = new MessageDecoder(options.maxReceiveMessageSize, (bytes, compressed) => this.#onMessage(bytes, compressed));
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs;
      this.#timer = setTimeout(() => this.abort(new GrpcError(Status.DEADLINE_EXCEEDED, "deadline exceeded")), timeoutMs);
    }
    // Shared listeners (static methods), the call found through the stream: no closures per call.
    (stream as OwnedStream)[OWNER] = this as unknown as AnyCall;
    stream.on("data", ServerCallImpl.#streamData);
    stream.on("end", ServerCallImpl.#streamEnd);
    stream.on("close", ServerCallImpl.#streamClose);
    stream.on("wantTrailers", ServerCallImpl.#streamWantTrailers);
    // Stream errors are followed by "close"; the server's listener (on every stream) keeps them from crashing the process.
  }

  static #streamData(this: OwnedStream, chunk: Buffer): void {
    const call = this[OWNER]!;
    if (call.#state === State.Done) return;
    try {
      call.#decoder.push(chunk);
    } catch (error) {
      call.abort(GrpcError.from(error, Status.INTERNAL));
    }
  }

  static #streamEnd(this: OwnedStream): void {
    this[OWNER]!.#onEnd();
  }

  static #streamClose(this: OwnedStream): void {
    this[OWNER]!.#onClose();
  }

  static #streamWantTrailers(this: OwnedStream): void {
    this[OWNER]!.#sendTrailers();
  }

  get path(): string {
    return this.#requestHeaders[":path"]!;
  }

  get metadata(): Metadata {
    return (this.#metadata ??= Metadata.fromHeaders(this.#requestHeaders));
  }

  /** Replaces the request metadata (a RecvRequest listener may). @internal */
  replaceMetadata(metadata: Metadata): void {
    this.#metadata = metadata;
  }

  /** The request's content-type. @internal */
  get contentType(): string {
    return String(this.#requestHeaders["content-type"] ?? "");
  }

  get context(): ContextValues {
    return (this.#context ??= new ContextValues());
  }

  get status(): Promise<ServerCallStatus> {
    if (this.#status === undefined) {
      this.#status = this.#endCode !== undefined ? Promise.resolve(this.#endStatus()) : new Promise((resolve) => (this.#resolveStatus = resolve));
    }
    return this.#status;
  }

  #endStatus(): ServerCallStatus {
    return { code: this.#endCode!, message: this.#endMessage };
  }

  /** Records how the call ended, once. */
  #ended(code: Status, message: string): void {
    if (this.#endCode !== undefined) return;
    // Only numbers and a string are kept: the status object is made for a reader, if there is one.
    this.#endCode = code;
    this.#endMessage = message;
    this.#resolveStatus?.(this.#endStatus());
  }

  get userAgent(): string | undefined {
    return this.#requestHeaders["user-agent"];
  }

  get peer(): string {
    return remoteAddress(this.#stream.session?.socket as Socket | undefined);
  }

  get peerCertificate(): PeerCertificate | undefined {
    return peerCertificate(this.#stream.session?.socket);
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

  setCompression(encoding: Compression): void {
    checkCompression(encoding, "setCompression()");
    if (this.#state === State.Done) return;
    if (encoding === "identity") {
      this.#compressing = false;
      return;
    }
    this.#compressing = true;
    if (this.#state === State.Idle) {
      this.#wantedEncoding = encoding;
      return;
    }
    // The headers are out, and with them the algorithm (or none, for a client that does not accept the one picked).
    const picked = this.#encoder ?? this.#wantedEncoding ?? this.#options.compression;
    if (encoding !== picked) {
      throw new Error(`setCompression("${encoding}"): the response headers were already sent with grpc-encoding ${this.#encoder ?? "identity"}`);
    }
  }

  get requestEncoding(): string {
    const encoding = this.#requestHeaders[HEADER_ENCODING];
    return typeof encoding === "string" && encoding !== "" ? encoding : "identity";
  }

  wasCompressed(request: object): boolean {
    return this.#compressedRequests?.has(request) ?? false;
  }

  /** The single request of a unary or server-streaming call. */
  readRequest(): Promise<MessageShape<I>> {
    return new Promise((resolve, reject) => this.onRequest(resolve, reject));
  }

  /** `readRequest()` with callbacks, for the runtime's unary path: no promise per call. @internal */
  onRequest(resolve: (message: MessageShape<I>) => void, reject: (error: unknown) => void): void {
    const single = (this.#single ??= { count: 0 });
    if (single.message !== undefined && this.#stream.readableEnded) {
      resolve(single.message);
      return;
    }
    single.resolve = resolve;
    single.reject = reject;
  }

  /** The requests of a client-streaming or bidi call. */
  requests(): AsyncIterable<MessageShape<I>> {
    return (this.#queue ??= new MessageQueue<MessageShape<I>>({
      pause: () => {
        this.#queuePaused = true;
        this.#stream.pause();
      },
      resume: () => {
        this.#queuePaused = false;
        // A request being decompressed keeps the stream paused (see #inflating).
        if (this.#inbound?.busy !== true) this.#stream.resume();
      },
    }));
  }

  /**
   * Writes one response message. Returns a promise only when the stream's
   * buffer is full, so fast paths pay nothing; it settles on drain. Throws
   * the abort reason once the call has ended.
   */
  send(message: MessageInitShape<O>): Promise<void> | undefined {
    if (this.#state === State.Done) throw this.#abortReason ?? new GrpcError(Status.INTERNAL, "call already ended");
    const frame = encodeFrame(this.#output, message);
    this.#checkSendSize(frame);
    if (this.#state === State.Idle) this.#respond();
    if (this.#encoder !== undefined) return this.#sendCompressed(frame);
    return this.#write(frame);
  }

  /** Writes a frame; a promise only when the stream's buffer is full (it settles on drain). */
  #write(frame: Buffer): Promise<void> | undefined {
    const writer = (this.#writer ??= new BatchedWriter(this.#stream));
    if (writer.write(frame)) return undefined;
    return writer.drained().then(() => {
      if (this.#state === State.Done && this.#abortReason !== undefined) throw this.#abortReason;
    });
  }

  /** Writes a message of a call whose responses may be compressed; an asynchronous compression keeps the order of writes. */
  #sendCompressed(uncompressed: Buffer): Promise<void> | undefined {
    const frame = this.#frame(uncompressed);
    const previous = this.#pendingWrite;
    if (previous === undefined && frame instanceof Uint8Array) return this.#write(frame);
    const write = (previous === undefined ? Promise.resolve(frame) : previous.then(() => frame)).then((ready) => {
      if (this.#state === State.Done) {
        if (this.#abortReason !== undefined) throw this.#abortReason;
        return undefined;
      }
      return this.#write(ready);
    });
    this.#pendingWrite = write;
    const settled = () => {
      if (this.#pendingWrite === write) this.#pendingWrite = undefined;
    };
    write.then(settled, settled);
    return write;
  }

  /** The frame of one response: compressed when the call compresses and the message is big enough. */
  #frame(uncompressed: Buffer): Buffer | Promise<Buffer> {
    return frameCompressed(this.#compressing ? this.#encoder : undefined, uncompressed, this.#options.compressMinBytes);
  }


  /** Sends the one response of a unary or client-streaming call, then OK. */
  sendUnary(message: MessageInitShape<O>): void {
    if (this.#state === State.Done) return;
    const uncompressed = encodeFrame(this.#output, message);
    this.#checkSendSize(uncompressed);
    if (this.#state === State.Idle) this.#respond();
    if (this.#encoder === undefined) {
      this.#endUnary(uncompressed);
      return;
    }
    const frame = this.#frame(uncompressed);
    const previous = this.#pendingWrite;
    if (previous === undefined && frame instanceof Uint8Array) {
      this.#endUnary(frame);
      return;
    }
    // The call stays open while the response is compressed: a deadline or a cancel can still end it.
    (previous === undefined ? Promise.resolve(frame) : previous.then(() => frame)).then(
      (ready) => {
        if (this.#state !== State.Done) this.#endUnary(ready);
      },
      (error: unknown) => this.#end(GrpcError.from(error, Status.INTERNAL)),
    );
  }

  #endUnary(frame: Buffer): void {
    this.#state = State.Done;
    this.#clearTimer();
    const trailer = this.hooks === undefined ? this.#trailer : this.#trailerFor(undefined);
    this.#pendingTrailers = this.#fitTrailers(statusTrailers(Status.OK, "", trailer), (trailer?.size ?? 0) > 0);
    this.#ended(Status.OK, "");
    this.#stream.end(frame);
    this.#drainRequests();
  }

  /** Ends the call with OK (streaming responses), after any response still being compressed. */
  finish(): void {
    const pending = this.#pendingWrite;
    if (pending === undefined) this.#end(undefined);
    else pending.then(() => this.#end(undefined), () => {});
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

  /** Refuses a message (given as its uncompressed frame) larger than maxSendMessageSize. */
  #checkSendSize(frame: Buffer): void {
    const error = sendSizeError(frame, this.#options.maxSendMessageSize);
    if (error !== undefined) throw error;
  }

  #respond(): void {
    const encoding = this.#wantedEncoding ?? this.#options.compression;
    const compress = encoding !== "identity" && this.#clientAccepts(encoding);
    const header = this.hooks?.beforeHeaders === undefined ? this.#header : this.#headersFromHook(this.hooks.beforeHeaders);
    if (!compress && (header === undefined || header.size === 0)) {
      this.#stream.respond(plainResponseHeaders(this.#contentType), RESPOND_OPEN);
      this.#state = State.Open;
      return;
    }
    const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": this.#contentType };
    if (compress) {
      // Even with compression turned off for now: setCompression() may turn it on for later messages.
      headers[HEADER_ENCODING] = encoding;
      this.#encoder = encoding as CompressionAlgorithm;
    }
    if (header !== undefined && header.size > 0) {
      header.writeHeaders(headers);
      const limit = this.#peerHeaderLimit();
      const size = limit === undefined ? 0 : headerListSize(headers);
      if (limit !== undefined && size > limit) {
        // Sent, they would only make the client reset the stream; the call fails with a status that says why.
        this.#header = undefined;
        this.#encoder = undefined;
        throw new GrpcError(Status.INTERNAL, `response header list size exceeds the client's limit (${size} vs. ${limit} bytes)`);
      }
    }
    this.#stream.respond(headers, RESPOND_OPEN);
    this.#state = State.Open;
  }

  #headersFromHook(hook: NonNullable<ServerCallHooks["beforeHeaders"]>): Metadata {
    const header = this.header;
    const replaced = hook(header);
    if (replaced !== undefined) this.#header = replaced;
    return this.#header!;
  }

  /** The trailing metadata to send with `error` (or OK): the handler's, the error's, and what a hook makes of them. */
  #trailerFor(error: GrpcError | undefined): Metadata | undefined {
    const metadata = mergeMetadata(this.#trailer, error?.metadata);
    const hook = this.hooks?.beforeTrailers;
    if (hook === undefined) return metadata;
    const given = metadata ?? new Metadata();
    return hook(given, error) ?? given;
  }

  /**
   * Whether the client can read `encoding`: it lists it in `grpc-accept-encoding`,
   * or compresses its own messages with it (grpc-go answers in the request's encoding).
   */
  #clientAccepts(encoding: Compression): boolean {
    const headers = this.#requestHeaders;
    return accepts(headers[HEADER_ACCEPT_ENCODING], encoding) || headers[HEADER_ENCODING] === encoding;
  }

  /** The client's SETTINGS_MAX_HEADER_LIST_SIZE, if it set one. */
  #peerHeaderLimit(): number | undefined {
    return peerHeaderListLimit(this.#stream.session?.remoteSettings);
  }

  /**
   * `trailers`, or if the client would reject them as too big (it limits header lists), an INTERNAL
   * status that says so. Only trailers with metadata or an error message can get that big.
   */
  #fitTrailers(trailers: OutgoingHttpHeaders, extra: boolean): OutgoingHttpHeaders {
    if (!extra) return trailers;
    const limit = this.#peerHeaderLimit();
    if (limit === undefined) return trailers;
    const size = headerListSize(trailers);
    if (size <= limit) return trailers;
    return statusTrailers(Status.INTERNAL, `response trailers exceed the client's header list size limit (${size} vs. ${limit} bytes)`, undefined);
  }

  #end(error: GrpcError | undefined): void {
    if (this.#state === State.Done) return;
    const stream = this.#stream;
    const idle = this.#state === State.Idle;
    this.#state = State.Done;
    this.#clearTimer();
    this.#inbound?.stop();
    if (stream.destroyed || stream.closed) {
      this.#ended(Status.CANCELLED, "call cancelled by the client");
      return;
    }
    const metadata = this.#trailerFor(error);
    this.#ended(error?.code ?? Status.OK, error?.rawMessage ?? "");
    const trailers = statusTrailers(error?.code ?? Status.OK, error?.rawMessage ?? "", metadata, error?.rawDetails);
    if (idle) {
      // Trailers-only: one HEADERS frame that ends the stream (PROTOCOL-HTTP2, "Trailers-Only").
      const headers: OutgoingHttpHeaders = { ":status": 200, "content-type": this.#contentType };
      this.#header?.writeHeaders(headers);
      Object.assign(headers, trailers);
      const extra = error !== undefined || (metadata !== undefined && metadata.size > 0) || (this.#header?.size ?? 0) > 0;
      const fitted = this.#fitTrailers(headers, extra);
      if (fitted !== headers) Object.assign(fitted, { ":status": 200, "content-type": this.#contentType });
      stream.respond(fitted, RESPOND_END);
    } else {
      this.#pendingTrailers = this.#fitTrailers(trailers, error !== undefined || (metadata !== undefined && metadata.size > 0));
      stream.end();
    }
    this.#drainRequests();
  }

  #sendTrailers(): void {
    let trailers = this.#pendingTrailers;
    if (trailers === undefined) {
      const trailer = this.hooks === undefined ? this.#trailer : this.#trailerFor(undefined);
      trailers = this.#fitTrailers(statusTrailers(Status.OK, "", trailer), (trailer?.size ?? 0) > 0);
      this.#ended(Status.OK, "");
    }
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
    if (compressed || this.#inbound !== undefined) {
      this.#inflate(bytes, compressed);
      return;
    }
    this.#deliver(bytes, false);
  }

  /** A compressed request, or one behind it: decompressed and delivered in order. */
  #inflate(bytes: Uint8Array, compressed: boolean): void {
    const inbound = (this.#inbound ??= new InboundMessages(this.requestEncoding, this.#options.maxReceiveMessageSize, {
      deliver: (b, c) => this.#deliver(b, c),
      fail: (error) => this.abort(error),
      busy: (busy) => this.#inflating(busy),
    }));
    inbound.push(bytes, compressed);
  }

  /** While a request is decompressed asynchronously, the stream is not read. */
  #inflating(busy: boolean): void {
    if (this.#state === State.Done) return;
    if (busy) this.#stream.pause();
    else if (!this.#queuePaused) this.#stream.resume();
  }

  /** Decodes one request message and hands it to the handler's queue, or keeps it as the single request. */
  #deliver(bytes: Uint8Array, compressed: boolean): void {
    let message: MessageShape<I>;
    try {
      message = this.#input.decode(bytes);
    } catch (error) {
      throw new GrpcError(Status.INTERNAL, `failed to parse request message: ${(error as Error).message}`);
    }
    if (compressed) (this.#compressedRequests ??= new WeakSet()).add(message);
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
    // node:http2 also ends the readable side of a stream the client reset: that is a cancel, not the end of the requests.
    const rstCode = this.#stream.rstCode;
    if (rstCode !== undefined && rstCode !== 0) {
      this.#onClose();
      return;
    }
    if (!this.#decoder.idle) {
      this.abort(new GrpcError(Status.INTERNAL, "protocol error: request ended inside a message"));
      return;
    }
    if (this.#inbound?.busy === true) {
      // The end comes after the messages still being decompressed.
      this.#inbound.whenIdle(() => this.#onEnd());
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
    // A stream reset before its trailers went out: the client saw no status, and cancelled.
    this.#ended(Status.CANCELLED, "call cancelled by the client");
    this.#options.untrack?.(this);
  }

  /** The HTTP/2 connection the call came on. @internal */
  get session(): ServerHttp2Stream["session"] {
    return this.#stream.session;
  }

  #markAborted(reason: GrpcError): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#inbound?.stop();
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
