import * as http2 from "node:http2";
import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { MessageCodec } from "../codec/codec.js";
import { Metadata } from "../metadata/metadata.js";
import { MessageDecoder, frameMessage } from "../protocol/framing.js";
import { BatchedWriter } from "../util/batched-writer.js";
import { CONTENT_TYPE, HEADER_STATUS, HEADER_TIMEOUT, checkResponseHeaders, statusFromTrailers } from "../protocol/headers.js";
import { codeFromRstCode } from "../protocol/http-status.js";
import { encodeTimeout } from "../protocol/timeout.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { CallOptions } from "./call-options.js";
import type { Channel } from "./channel.js";

/**
 * What a transport reports, in order: headers (at most once), messages, then
 * close (exactly once). Metadata is built only when read, from
 * `transport.headers` and `transport.trailers`: a unary call that reads
 * neither never builds any.
 */
export interface CallListener<O extends DescMessage> {
  onHeaders(): void;
  onMessage(message: MessageShape<O>): void;
  /** The call is over: `error` is undefined for OK. */
  onClose(error: GrpcError | undefined): void;
}

const { NGHTTP2_CANCEL } = http2.constants;

/**
 * The client side of one call on one HTTP/2 stream: sends the request headers
 * (with `grpc-timeout` and metadata), frames and writes messages, decodes
 * responses, and works out the final status from trailers, HTTP status or
 * stream reset. Every call form is built on it.
 * @internal
 */
export class CallTransport<I extends DescMessage, O extends DescMessage> {
  readonly #stream: http2.ClientHttp2Stream;
  readonly #input: MessageCodec<I>;
  readonly #output: MessageCodec<O>;
  readonly #listener: CallListener<O>;
  readonly #decoder: MessageDecoder;
  readonly #maxSend: number;
  readonly #options: CallOptions;
  readonly #untrack: () => void;
  readonly #channel: Channel;
  readonly #session: http2.ClientHttp2Session;
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

  constructor(channel: Channel, method: DescMethod, options: CallOptions, listener: CallListener<O>) {
    this.#listener = listener;
    this.#options = options;
    this.#input = channel.codec.forSchema(method.input) as MessageCodec<I>;
    this.#output = channel.codec.forSchema(method.output) as MessageCodec<O>;
    this.#maxSend = options.maxSendMessageSize ?? channel.maxSendMessageSize;
    this.#decoder = new MessageDecoder(options.maxReceiveMessageSize ?? channel.maxReceiveMessageSize, (bytes, compressed) =>
      this.#onMessage(bytes, compressed),
    );

    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": `/${method.parent.typeName}/${method.name}`,
      "content-type": CONTENT_TYPE,
      te: "trailers",
      "user-agent": channel.userAgent,
    };
    const timeout = effectiveTimeout(options);
    if (timeout !== undefined) headers[HEADER_TIMEOUT] = encodeTimeout(timeout);
    if (options.metadata !== undefined) new Metadata(options.metadata).writeHeaders(headers);

    if (channel.closed) throw new GrpcError(Status.UNAVAILABLE, "channel is closed");
    const session = (this.#session = channel.session());
    this.#channel = channel;
    this.#untrack = channel.track(session);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.#stream = session.request(headers, { endStream: false });
    } catch (error) {
      this.#untrack();
      throw new GrpcError(Status.UNAVAILABLE, `could not start the call: ${(error as Error).message}`, { cause: error });
    }
    stream.on("response", (h) => this.#onResponse(h));
    stream.on("data", (chunk: Buffer) => this.#onData(chunk));
    stream.on("trailers", (t) => {
      this.#rawTrailers = t;
    });
    stream.on("error", (error) => {
      this.#streamError ??= error;
    });
    stream.on("end", () => {
      // The server has ended the call while we are still sending: stop with
      // RST_STREAM(NO_ERROR), as grpc-go does, so the request side ends too.
      if (!stream.writableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    });
    stream.on("close", () => this.#onClose());

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

  /** Writes one message. Returns false when the stream's buffer is full: wait for `drained()`. */
  send(message: MessageInitShape<I>): boolean {
    const frame = this.#frame(message);
    return (this.#writer ??= new BatchedWriter(this.#stream)).write(frame);
  }

  /** Writes the last message and ends the request side in one step. */
  sendLast(message: MessageInitShape<I>): void {
    this.#stream.end(this.#frame(message));
  }

  /** Ends the request side (half-close). */
  end(): void {
    this.#stream.end();
  }

  /** Resolves when the stream can take more data, or when the call is over. */
  drained(): Promise<void> {
    if (this.#closed || this.#writer === undefined) return Promise.resolve();
    return this.#writer.drained();
  }

  get closed(): boolean {
    return this.#closed;
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  /** Ends the call locally with `reason` and resets the stream (RST_STREAM CANCEL). */
  cancel(reason: GrpcError): void {
    if (this.#closed || this.#localError !== undefined) return;
    this.#localError = reason;
    if (!this.#stream.destroyed) this.#stream.close(NGHTTP2_CANCEL);
  }

  #frame(message: MessageInitShape<I>): Buffer {
    if (this.#localError !== undefined || this.#closed) {
      throw this.#localError ?? new GrpcError(Status.CANCELLED, "call already ended");
    }
    let bytes: Uint8Array;
    try {
      bytes = this.#input.encode(message);
    } catch (error) {
      return this.#failSend(new GrpcError(Status.INTERNAL, `failed to serialize request: ${(error as Error).message}`, { cause: error }));
    }
    if (bytes.byteLength > this.#maxSend) {
      return this.#failSend(
        new GrpcError(Status.RESOURCE_EXHAUSTED, `trying to send message larger than max (${bytes.byteLength} vs. ${this.#maxSend})`),
      );
    }
    return frameMessage(bytes);
  }

  /** A request that cannot be sent ends the call with that error. */
  #failSend(error: GrpcError): never {
    this.cancel(error);
    throw error;
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
    this.#options.onHeader?.(this.headers);
    this.#listener.onHeaders();
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
    if (compressed) throw new GrpcError(Status.INTERNAL, "protocol error: compressed message received without grpc-encoding");
    let message: MessageShape<O>;
    try {
      message = this.#output.decode(bytes);
    } catch (error) {
      throw new GrpcError(Status.INTERNAL, `failed to parse response message: ${(error as Error).message}`);
    }
    this.#listener.onMessage(message);
  }

  #onClose(): void {
    this.#closed = true;
    this.#untrack();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#options.signal?.removeEventListener("abort", this.#onAbort);
    const error = (this.#error = this.#status());
    this.#options.onTrailer?.(this.trailers);
    this.#listener.onClose(error);
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
    if (this.#session.destroyed) {
      // The connection is gone (refused, reset, closed): the call may be retried elsewhere.
      const cause = this.#channel.sessionError(this.#session) ?? this.#streamError;
      if (cause !== undefined) return unavailable(cause);
      return new GrpcError(Status.UNAVAILABLE, "connection closed before the server sent a status");
    }
    if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) {
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

function unavailable(error: Error): GrpcError {
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? cause.message : error.message;
  return new GrpcError(Status.UNAVAILABLE, `connection failed: ${detail}`, { cause: error });
}

function cancelledBySignal(signal: AbortSignal): GrpcError {
  const reason: unknown = signal.reason;
  if (reason instanceof GrpcError) return reason;
  const detail = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return new GrpcError(Status.CANCELLED, detail === "" ? "call cancelled" : `call cancelled: ${detail}`, { cause: reason });
}

/** The timeout in ms implied by `timeout` and `deadline` (the earlier one), if any. */
function effectiveTimeout(options: CallOptions): number | undefined {
  let timeout = options.timeout;
  if (options.deadline !== undefined) {
    const deadline = typeof options.deadline === "number" ? options.deadline : options.deadline.getTime();
    const left = Math.max(0, deadline - Date.now());
    timeout = timeout === undefined ? left : Math.min(timeout, left);
  }
  return timeout;
}
