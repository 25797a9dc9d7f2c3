import * as http2 from "node:http2";
import { addAbortSignal } from "node:stream";
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { MessageCodec } from "../codec/codec.js";
import { checkCompression, frameCompressed, type Compression, type CompressionAlgorithm } from "../compression/compression.js";
import { InboundMessages } from "../compression/inbound.js";
import { Metadata } from "../metadata/metadata.js";
import { encodeFrame } from "../codec/encode-frame.js";
import { MessageDecoder, PREFIX_LENGTH, sendSizeError } from "../protocol/framing.js";
import { headerListSize, peerHeaderListLimit } from "../protocol/header-size.js";
import type { Socket } from "node:net";
import { BatchedWriter } from "../util/batched-writer.js";
import { remoteAddress } from "../util/peer.js";
import { HEADER_ENCODING, HEADER_STATUS, HEADER_TIMEOUT, checkResponseHeaders, statusFromTrailers } from "../protocol/headers.js";
import { codeFromRstCode } from "../protocol/http-status.js";
import { encodeTimeout } from "../protocol/timeout.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { deadlineMs, type CallOptions } from "./call-options.js";
import type { Channel, PickWaiter } from "./channel.js";

/**
 * What a transport reports, in order: headers (at most once), messages, then
 * close (exactly once). Metadata is built only when read, from
 * `transport.headers` and `transport.trailers`: a unary call that reads
 * neither never builds any.
 */

/** The transport of a stream, for the shared stream listeners. */
const OWNER = Symbol("tsgrpc.callTransport");
type AnyTransport = CallTransport<DescMessage, DescMessage>;
type OwnedStream = http2.ClientHttp2Stream & { [OWNER]?: AnyTransport };

export interface CallListener<O extends DescMessage> {
  onHeaders(): void;
  onMessage(message: MessageShape<O>): void;
  /** The call is over: `error` is undefined for OK. */
  onClose(error: GrpcError | undefined): void;
}

const { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_REFUSED_STREAM } = http2.constants;

/** A6: the header that tells the server how many attempts came before this one. */
export const HEADER_PREVIOUS_ATTEMPTS = "grpc-previous-rpc-attempts";

/**
 * The client side of one call on one HTTP/2 stream: sends the request headers
 * (with `grpc-timeout` and metadata), frames and writes messages, decodes
 * responses, and works out the final status from trailers, HTTP status or
 * stream reset. Every call form is built on it.
 *
 * It gets its stream from the channel's pick: at once when a connection is
 * ready, else once one is (the call waits in the channel's queue; a
 * TRANSIENT_FAILURE fails it unless `waitForReady`). Requests sent before
 * then are kept and written when the stream opens. Until the response
 * headers arrive it also keeps what it wrote (up to the per-call retry
 * buffer), so that a stream the server refused unprocessed (RST_STREAM
 * REFUSED_STREAM, which nghttp2 also uses for the streams above a GOAWAY's
 * last-stream-id) is retried once on a new pick: gRPC A6 "transparent
 * retry", which does not count as an attempt.
 * @internal
 */
export class CallTransport<I extends DescMessage, O extends DescMessage> implements PickWaiter {
  #stream: http2.ClientHttp2Stream | undefined;
  readonly #input: MessageCodec<I>;
  readonly #output: MessageCodec<O>;
  readonly #listener: CallListener<O>;
  readonly #decoder: MessageDecoder;
  readonly #maxSend: number;
  readonly #maxReceive: number;
  readonly #options: CallOptions;
  /** The session this call counts as active on (`channel.track()`), until it untracks. */
  #tracked: http2.ClientHttp2Session | undefined;
  readonly #channel: Channel;
  #session: http2.ClientHttp2Session | undefined;
  readonly waitForReady: boolean;
  /** The frames written so far, kept for a transparent retry (and until the stream opens); dropped once committed. */
  #frames: Buffer[] | undefined = [];
  #frameBytes = 0;
  /** The request side was ended (end() or sendLast()). */
  #ended = false;
  #transparentRetried = false;
  /** Callers of drained() before the stream opened. */
  #startWaiters: (() => void)[] | undefined;
  /** The size of the last message sent, encoded (retry buffers count it). */
  lastMessageBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #writer: BatchedWriter | undefined;
  #onAbort: (() => void) | undefined;
  /** Set once the outcome is known locally (cancel, deadline, bad response), before the stream closes. */
  #localError: GrpcError | undefined;
  #headersError: GrpcError | undefined;
  #rawHeaders: http2.IncomingHttpHeaders | undefined;
  #headers: Metadata | undefined;
  #rawTrailers: http2.IncomingHttpHeaders | undefined;
  #trailers: Metadata | undefined;
  #error: GrpcError | undefined;
  #streamError: Error | undefined;
  #closed = false;
  readonly #requestHeaders: http2.OutgoingHttpHeaders;
  /** Whether the response queue has paused the stream (it is full). */
  #queuePaused = false;
  // Compression: none of these is set on a call that uses none.
  /** How requests are compressed. */
  readonly #encoder: CompressionAlgorithm | undefined;
  readonly #compressMinBytes: number;
  /** The last write waiting for an asynchronous compression; later writes go after it. */
  #pendingWrite: Promise<void> | undefined;
  /** Made when the first compressed response arrives; every later one goes through it, in order. */
  #inbound: InboundMessages | undefined;
  /** The response messages that arrived compressed. */
  #compressedResponses: WeakSet<object> | undefined;
  /** The stream closed while a response was still being decompressed. */
  #closePending = false;

  /** `previousAttempts`: for a retry (A6), how many attempts came before; sent as `grpc-previous-rpc-attempts`. */
  constructor(channel: Channel, method: DescMethod, options: CallOptions, listener: CallListener<O>, previousAttempts = 0) {
    this.#listener = listener;
    this.#options = options;
    this.#input = channel.codec.forSchema(method.input) as MessageCodec<I>;
    this.#output = channel.codec.forSchema(method.output) as MessageCodec<O>;
    this.#maxSend = options.maxSendMessageSize ?? channel.maxSendMessageSize;
    this.#maxReceive = options.maxReceiveMessageSize ?? channel.maxReceiveMessageSize;
    this.#decoder = new MessageDecoder(this.#maxReceive, (bytes, compressed) => this.#onMessage(bytes, compressed));

    const encoding = options.compression === undefined ? channel.compression : checkCompression(options.compression, "compression")!;
    const timeout = effectiveTimeout(options);
    const base = channel.requestHeaders(method);
    if (encoding === "identity" && timeout === undefined && options.metadata === undefined && previousAttempts === 0) {
      this.#requestHeaders = base;
    } else {
      const headers: http2.OutgoingHttpHeaders = { ...base };
      if (encoding !== "identity") {
        headers[HEADER_ENCODING] = encoding;
        this.#encoder = encoding;
      }
      if (timeout !== undefined) headers[HEADER_TIMEOUT] = encodeTimeout(timeout);
      if (options.metadata !== undefined) new Metadata(options.metadata).writeHeaders(headers);
      if (previousAttempts > 0) headers[HEADER_PREVIOUS_ATTEMPTS] = String(previousAttempts);
      this.#requestHeaders = headers;
    }
    this.#compressMinBytes = channel.compressMinBytes;
    this.#channel = channel;
    this.waitForReady = options.waitForReady === true;
    this.#pick();

    if (timeout !== undefined) {
      this.#timer = setTimeout(() => this.cancel(new GrpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded after ${timeout}ms`)), timeout);
    }
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.cancel(cancelledBySignal(signal));
      } else {
        this.#onAbort = () => this.cancel(cancelledBySignal(signal));
        signal.addEventListener("abort", this.#onAbort, { once: true });
      }
    }
  }

  /** Starts on a connection the channel has ready, or waits in its queue for one. */
  #pick(): void {
    const picked = this.#channel.pick(this.waitForReady);
    if (picked === undefined) this.#channel.waitForPick(this);
    else if (picked instanceof GrpcError) this.#failLater(picked);
    else this.onPicked(picked);
  }

  /** The channel picked `session` for this call. @internal */
  onPicked(session: http2.ClientHttp2Session): void {
    if (this.#closed || this.#localError !== undefined) return;
    const error = this.#start(session);
    if (error !== undefined) this.#failLater(error);
  }

  /** The channel cannot give this call a connection (TRANSIENT_FAILURE without waitForReady, or closed). @internal */
  onPickFailed(error: GrpcError): void {
    this.#failLater(error);
  }

  /** Ends the call with `error` before (or between) streams, after the current turn: callers may still be setting up. */
  #failLater(error: GrpcError): void {
    this.#localError ??= error;
    queueMicrotask(() => this.#onClose());
  }

  /** Opens the stream on `session` and writes what was sent before; returns the error when it cannot. */
  #start(session: http2.ClientHttp2Session): GrpcError | undefined {
    const headers = this.#requestHeaders;
    if (this.#options.metadata !== undefined) {
      // Only metadata can make a request's headers big. Past the server's limit they would be
      // refused (or, over 64 KiB in one field, end the whole connection): fail here, as grpc-go does.
      const error = headerListError(headers, session);
      if (error !== undefined) return error;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      // No options: a POST's request side stays open by default, and an options object of our own
      // takes node:http2 off its fast path (measured: ~3 µs more per call in its priority-option checks).
      stream = session.request(headers);
    } catch (error) {
      // The session is closing (a GOAWAY came in): nothing was sent, so this may go to another connection once.
      if (!this.#transparentRetried && this.#frames !== undefined) {
        this.#transparentRetried = true;
        this.#pick();
        return undefined;
      }
      return new GrpcError(Status.UNAVAILABLE, `could not start the call: ${(error as Error).message}`, { cause: error });
    }
    this.#session = session;
    this.#stream = stream;
    this.#channel.track(session);
    this.#tracked = session;
    // Shared listeners (static methods), the call found through the stream: no closures per call.
    (stream as OwnedStream)[OWNER] = this as unknown as AnyTransport;
    stream.on("response", CallTransport.#streamResponse);
    stream.on("data", CallTransport.#streamData);
    stream.on("trailers", CallTransport.#streamTrailers);
    stream.on("error", CallTransport.#streamErrored);
    // The server may end the call while the request side is still open.
    if (!this.#ended) stream.on("end", CallTransport.#streamEnd);
    stream.on("close", CallTransport.#streamClose);
    if (this.#queuePaused) stream.pause();
    const frames = this.#frames;
    if (frames !== undefined && frames.length > 0) {
      const writer = (this.#writer = new BatchedWriter(stream));
      const last = frames.length - 1;
      for (let i = 0; i < last; i++) writer.write(frames[i]!);
      if (this.#ended && this.#pendingWrite === undefined) stream.end(frames[last]);
      else writer.write(frames[last]!);
    } else if (this.#ended && this.#pendingWrite === undefined) {
      stream.end();
    }
    const waiters = this.#startWaiters;
    if (waiters !== undefined) {
      this.#startWaiters = undefined;
      for (const resolve of waiters) resolve();
    }
    return undefined;
  }

  /**
   * Sends a frame (ending the request side if `last`): kept for a replay
   * while the call is not committed, written when there is a stream.
   */
  #put(frame: Buffer, last: boolean): boolean {
    const frames = this.#frames;
    if (frames !== undefined) {
      frames.push(frame);
      this.#frameBytes += frame.byteLength;
      // Past the retry buffer no transparent retry (the requests are not all kept); before the stream
      // opens they must be kept anyway, and the caller's backpressure bounds them.
      if (this.#frameBytes > this.#channel.perCallRetryBufferBytes && this.#stream !== undefined) this.#frames = undefined;
    }
    if (last) this.#ended = true;
    const stream = this.#stream;
    if (stream === undefined) return false;
    if (last) {
      stream.end(frame);
      return true;
    }
    return (this.#writer ??= new BatchedWriter(stream)).write(frame);
  }

  /**
   * Writes one message (`compress: false` sends it uncompressed even when the
   * call compresses). Returns false when the stream's buffer is full, or the
   * message is still being compressed: wait for `drained()`.
   */
  send(message: MessageInitShape<I>, compress = true): boolean {
    const uncompressed = this.#encode(message);
    if (this.#encoder === undefined) return this.#put(uncompressed, false);
    const frame = this.#compressFrame(uncompressed, compress);
    if (this.#pendingWrite === undefined && frame instanceof Uint8Array) return this.#put(frame, false);
    this.#queueWrite(frame, false);
    return false;
  }

  /** Writes the last message and ends the request side in one step. */
  sendLast(message: MessageInitShape<I>, compress = true): void {
    const uncompressed = this.#encode(message);
    if (this.#encoder === undefined) {
      this.#put(uncompressed, true);
      return;
    }
    const frame = this.#compressFrame(uncompressed, compress);
    if (this.#pendingWrite === undefined && frame instanceof Uint8Array) this.#put(frame, true);
    else this.#queueWrite(frame, true);
  }

  /** Ends the request side (half-close), after any message still being compressed. */
  end(): void {
    const pending = this.#pendingWrite;
    if (pending === undefined) this.#endStream();
    else this.#pendingWrite = pending.then(() => this.#endStream());
  }

  /** Resolves when the stream can take more data, or when the call is over. */
  drained(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const pending = this.#pendingWrite;
    if (pending !== undefined) return pending.then(() => this.drained());
    if (this.#stream === undefined) return new Promise((resolve) => (this.#startWaiters ??= []).push(resolve));
    if (this.#writer === undefined) return Promise.resolve();
    return this.#writer.drained();
  }

  /** Whether `message`, a response of this call, arrived compressed. */
  wasCompressed(message: object): boolean {
    return this.#compressedResponses?.has(message) ?? false;
  }

  get closed(): boolean {
    return this.#closed;
  }

  pause(): void {
    this.#queuePaused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.#queuePaused = false;
    // A response being decompressed keeps the stream paused.
    if (this.#inbound?.busy !== true) this.#stream?.resume();
  }

  /** Ends the call locally with `reason` and resets the stream (RST_STREAM CANCEL). */
  cancel(reason: GrpcError): void {
    if (this.#closed || this.#localError !== undefined) return;
    this.#localError = reason;
    const stream = this.#stream;
    if (stream === undefined) {
      // Still waiting for a connection: leave the queue and end now.
      this.#channel.cancelPick(this);
      queueMicrotask(() => this.#onClose());
      return;
    }
    if (!stream.destroyed) resetStream(stream);
    // The stream closed already, its status waiting for a decompression: end now.
    if (this.#closePending) this.#onClose();
  }

  /** The message as an uncompressed frame, after the checks that it may be sent. */
  #encode(message: MessageInitShape<I>): Buffer {
    if (this.#localError !== undefined || this.#closed) {
      throw this.#localError ?? new GrpcError(Status.CANCELLED, "call already ended");
    }
    if (this.#ended) throw new GrpcError(Status.INTERNAL, "send() after the request side was ended");
    let frame: Buffer;
    try {
      frame = encodeFrame(this.#input, message);
    } catch (error) {
      return this.#failSend(new GrpcError(Status.INTERNAL, `failed to serialize request: ${(error as Error).message}`, { cause: error }));
    }
    const tooBig = sendSizeError(frame, this.#maxSend);
    if (tooBig !== undefined) return this.#failSend(tooBig);
    this.lastMessageBytes = frame.length - PREFIX_LENGTH;
    return frame;
  }

  /** The frame of a request on a compressing call: compressed unless turned off or the message is small. */
  #compressFrame(uncompressed: Buffer, enabled: boolean): Buffer | Promise<Buffer> {
    return frameCompressed(enabled ? this.#encoder : undefined, uncompressed, this.#compressMinBytes);
  }


  /** Writes `frame` (ending the request side if `last`) once it and every write before it are ready. */
  #queueWrite(frame: Buffer | Promise<Buffer>, last: boolean): void {
    const previous = this.#pendingWrite;
    const write = (previous === undefined ? Promise.resolve(frame) : previous.then(() => frame)).then(
      (ready) => {
        if (this.#closed || this.#localError !== undefined) return;
        // Backpressure is for the caller: drained() waits for the writer after this.
        this.#put(ready, last);
      },
      (error: unknown) =>
        this.cancel(new GrpcError(Status.INTERNAL, `failed to compress a request: ${(error as Error).message}`, { cause: error })),
    );
    this.#pendingWrite = write;
    void write.then(() => {
      if (this.#pendingWrite === write) this.#pendingWrite = undefined;
    });
  }

  #endStream(): void {
    if (this.#closed || this.#localError !== undefined) return;
    this.#ended = true;
    this.#stream?.end();
  }

  /** A request that cannot be sent ends the call with that error. */
  #failSend(error: GrpcError): never {
    this.cancel(error);
    throw error;
  }

  static #streamResponse(this: OwnedStream, headers: http2.IncomingHttpHeaders): void {
    this[OWNER]!.#onResponse(headers);
  }

  static #streamData(this: OwnedStream, chunk: Buffer): void {
    this[OWNER]!.#onData(chunk);
  }

  static #streamTrailers(this: OwnedStream, trailers: http2.IncomingHttpHeaders): void {
    this[OWNER]!.#rawTrailers = trailers;
  }

  static #streamErrored(this: OwnedStream, error: Error): void {
    this[OWNER]!.#streamError ??= error;
  }

  /**
   * The server has ended the call while we are still sending: stop with
   * RST_STREAM(NO_ERROR), as grpc-go does, so the request side ends too.
   */
  static #streamEnd(this: OwnedStream): void {
    if (!this.writableEnded) this.close(http2.constants.NGHTTP2_NO_ERROR);
  }

  static #streamClose(this: OwnedStream): void {
    const call = this[OWNER]!;
    // A stream given up for a transparent retry closes after its successor started.
    if (call.#stream === this) call.#onClose();
  }

  #onResponse(headers: http2.IncomingHttpHeaders): void {
    const error = checkResponseHeaders(headers);
    if (error !== undefined) {
      this.#headersError = error;
      return;
    }
    if (headers[HEADER_STATUS] !== undefined) {
      // Trailers-only: the status came with the headers and the stream ends here.
      this.#rawTrailers = headers;
      return;
    }
    this.#rawHeaders = headers;
    // Committed: the server has answered, so there will be no transparent retry.
    this.#frames = undefined;
    this.#options.onHeader?.(this.headers);
    this.#listener.onHeaders();
  }

  /** The server's address, `host:port`, on the connection this call uses. */
  get peer(): string {
    return remoteAddress(this.#session?.socket as Socket | undefined);
  }

  /** The response headers as metadata (empty before they arrive, or for a trailers-only response). */
  get headers(): Metadata {
    return (this.#headers ??= this.#rawHeaders === undefined ? new Metadata() : Metadata.fromHeaders(this.#rawHeaders));
  }

  /** The trailing metadata (empty before the call ends, or if none came). */
  get trailers(): Metadata {
    const raw = this.#rawTrailers;
    return (this.#trailers ??= raw !== undefined ? Metadata.fromHeaders(raw) : (this.#error?.metadata ?? new Metadata()));
  }

  #onData(chunk: Buffer): void {
    if (this.#localError !== undefined || this.#headersError !== undefined) return;
    try {
      this.#decoder.push(chunk);
    } catch (error) {
      this.cancel(GrpcError.from(error, Status.INTERNAL));
    }
  }

  #onMessage(bytes: Uint8Array, compressed: boolean): void {
    if (compressed || this.#inbound !== undefined) {
      this.#inflate(bytes, compressed);
      return;
    }
    let message: MessageShape<O>;
    try {
      message = this.#output.decode(bytes);
    } catch (error) {
      throw new GrpcError(Status.INTERNAL, `failed to parse response message: ${(error as Error).message}`);
    }
    this.#listener.onMessage(message);
  }

  /** A compressed response, or one behind it: decompressed and delivered in order. */
  #inflate(bytes: Uint8Array, compressed: boolean): void {
    const encoding = this.#rawHeaders?.[HEADER_ENCODING];
    const inbound = (this.#inbound ??= new InboundMessages(typeof encoding === "string" ? encoding : "identity", this.#maxReceive, {
      deliver: (b, c) => this.#deliver(b, c),
      fail: (error) => this.cancel(error),
      busy: (busy) => {
        if (busy) this.#stream?.pause();
        else if (!this.#queuePaused) this.#stream?.resume();
      },
    }));
    inbound.push(bytes, compressed);
  }

  /** Decodes and delivers a response that went through decompression. */
  #deliver(bytes: Uint8Array, compressed: boolean): void {
    if (this.#localError !== undefined) return;
    let message: MessageShape<O>;
    try {
      message = this.#output.decode(bytes);
    } catch (error) {
      throw new GrpcError(Status.INTERNAL, `failed to parse response message: ${(error as Error).message}`);
    }
    if (compressed) (this.#compressedResponses ??= new WeakSet()).add(message);
    this.#listener.onMessage(message);
  }

  #onClose(): void {
    if (this.#closed) return;
    if (this.#refusedUnprocessed()) {
      this.#transparentRetried = true;
      this.#restart();
      return;
    }
    const inbound = this.#inbound;
    if (inbound !== undefined) {
      if (inbound.busy && this.#localError === undefined) {
        // The status comes after the responses still being decompressed.
        if (!this.#closePending) {
          this.#closePending = true;
          inbound.whenIdle(() => this.#onClose());
        }
        return;
      }
      inbound.stop();
    }
    this.#closed = true;
    this.#untrack();
    if (this.#startWaiters !== undefined) for (const resolve of this.#startWaiters.splice(0)) resolve();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#options.signal?.removeEventListener("abort", this.#onAbort);
    const error = (this.#error = this.#status());
    this.#options.onTrailer?.(this.trailers);
    this.#listener.onClose(error);
  }

  /**
   * Whether the stream was refused before the server's application saw it
   * (REFUSED_STREAM, no response), and may go again, once, with all its
   * requests still kept (gRPC A6 transparent retry; grpc-go does the same).
   */
  #refusedUnprocessed(): boolean {
    return (
      !this.#transparentRetried &&
      this.#frames !== undefined &&
      this.#localError === undefined &&
      this.#stream?.rstCode === NGHTTP2_REFUSED_STREAM &&
      this.#rawHeaders === undefined &&
      this.#rawTrailers === undefined &&
      this.#headersError === undefined
    );
  }

  /** A transparent retry: a new pick and a new stream, with the kept requests written again. */
  #untrack(): void {
    if (this.#tracked === undefined) return;
    this.#channel.untrack(this.#tracked);
    this.#tracked = undefined;
  }

  #restart(): void {
    this.#untrack();
    this.#stream = undefined;
    this.#session = undefined;
    this.#writer = undefined;
    this.#streamError = undefined;
    this.#pick();
  }

  /** The call's outcome, by precedence: local decisions, a non-gRPC response, the trailers, then how the stream ended. */
  #status(): GrpcError | undefined {
    if (this.#localError !== undefined) return this.#localError;
    if (this.#headersError !== undefined) return this.#headersError;
    if (this.#rawTrailers !== undefined) {
      const error = statusFromTrailers(this.#rawTrailers);
      if (error === undefined && !this.#decoder.idle) {
        return new GrpcError(Status.INTERNAL, "protocol error: response ended inside a message");
      }
      return error;
    }
    const stream = this.#stream;
    const session = this.#session;
    if (stream === undefined || session === undefined) return new GrpcError(Status.UNAVAILABLE, "the call ended before it was sent");
    if (session.destroyed) {
      // The connection is gone (refused, reset, closed): the call may be retried elsewhere.
      const cause = this.#channel.sessionError(session) ?? this.#streamError;
      if (cause !== undefined) return unavailable(cause);
      return new GrpcError(Status.UNAVAILABLE, "connection closed before the server sent a status");
    }
    if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
      if (stream.rstCode === NGHTTP2_ENHANCE_YOUR_CALM && this.#rawHeaders === undefined) {
        // A server refuses headers over its limit this way; its SETTINGS (now known) tell whether ours were.
        const error = headerListError(this.#requestHeaders, session);
        if (error !== undefined) return error;
      }
      return new GrpcError(codeFromRstCode(stream.rstCode), `stream reset with HTTP/2 error code ${rstCodeName(stream.rstCode)}`);
    }
    if (this.#streamError !== undefined) return unavailable(this.#streamError);
    return new GrpcError(Status.UNKNOWN, "protocol error: server ended the stream without grpc-status");
  }
}

const rstNames = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
  "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"];

/** `11 (ENHANCE_YOUR_CALM)`: the code and its RFC 9113 name. */
function rstCodeName(code: number): string {
  const name = rstNames[code];
  return name === undefined ? String(code) : `${code} (${name})`;
}

/**
 * The error for request headers bigger than the server's
 * SETTINGS_MAX_HEADER_LIST_SIZE (grpc-go's INTERNAL and words), or undefined
 * when they fit or its limit is not known yet.
 */
function headerListError(headers: http2.OutgoingHttpHeaders, session: http2.ClientHttp2Session): GrpcError | undefined {
  const limit = peerHeaderListLimit(session.remoteSettings);
  if (limit === undefined) return undefined;
  const size = headerListSize(headers);
  if (size <= limit) return undefined;
  return new GrpcError(Status.INTERNAL, `header list size to send violates the maximum size (${limit} bytes) set by server: the request's headers and metadata are ${size} bytes`);
}

function unavailable(error: Error): GrpcError {
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? cause.message : error.message;
  return new GrpcError(Status.UNAVAILABLE, `connection failed: ${detail}`, { cause: error });
}

/**
 * Resets `stream` with RST_STREAM(CANCEL) alone. Node's `close()` first ends a
 * still-open request side, so the server would see END_STREAM, take it for
 * the end of the requests, and could finish the call as if the client meant
 * that, before the reset arrives. Destroying the stream with an AbortError
 * (what `addAbortSignal` does) sends only the RST_STREAM, as grpc-go's cancel.
 */
function resetStream(stream: http2.ClientHttp2Stream): void {
  addAbortSignal(AbortSignal.abort(), stream);
}

/** The CANCELLED error for an aborted call signal (its reason, if a GrpcError, as is). @internal */
export function cancelledBySignal(signal: AbortSignal): GrpcError {
  const reason: unknown = signal.reason;
  if (reason instanceof GrpcError) return reason;
  const detail = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return new GrpcError(Status.CANCELLED, detail === "" ? "call cancelled" : `call cancelled: ${detail}`, { cause: reason });
}

/** The timeout in ms implied by `timeout` and `deadline` (the earlier one), if any. @internal */
export function effectiveTimeout(options: CallOptions): number | undefined {
  let timeout = options.timeout;
  if (options.deadline !== undefined) {
    const left = Math.max(0, deadlineMs(options.deadline) - Date.now());
    timeout = timeout === undefined ? left : Math.min(timeout, left);
  }
  return timeout;
}
