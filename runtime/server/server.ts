import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { DescService } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { jsonCodec } from "../codec/json-codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { ACCEPT_ENCODING, DEFAULT_COMPRESS_MIN_BYTES, checkCompression, isCompression, type Compression } from "../compression/compression.js";
import { DEFAULT_MAX_HEADER_LIST_SIZE, headerListSize, headerPairsFor } from "../protocol/header-size.js";
import {
  CONTENT_TYPE,
  HEADER_ACCEPT_ENCODING,
  HEADER_ENCODING,
  HEADER_TIMEOUT,
  grpcContentSubtype,
  statusTrailers,
} from "../protocol/headers.js";
import { parseTimeout } from "../protocol/timeout.js";
import { DEFAULT_WINDOW_SIZE } from "../protocol/flow-control.js";
import { serviceDescriptor, type ServiceHandlers, type ServiceImplementation } from "../service/service-implementation.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { contextNeeded } from "../context/call-context.js";
import { closeSession } from "../util/close-session.js";
import { dispatch, routeChain } from "./dispatch.js";
import { RouteTable, type Route } from "./routes.js";
import { RESPOND_END, ServerCallImpl, type ServerCall, type ServerCallOptions } from "./server-call.js";
import { manageConnection } from "./connection.js";
import { connectionPolicy, type ConnectionPolicy, type ServerConnectionOptions } from "./connection-options.js";
import { secureServerOptions, type ServerTlsOptions } from "./server-tls.js";
import type { ServerInterceptor, ServerNext } from "../interceptors/server-interceptor.js";
import { EventHub } from "../events/event-hub.js";
import { serverEvents } from "../events/server-events.js";

/** Options of a Server; keepalive, connection limits and window sizes are in `ServerConnectionOptions`. */
export interface ServerOptions extends ServerConnectionOptions {
  /**
   * Serve over TLS (HTTP/2 with ALPN h2) with this key and certificate, and
   * with `requireClientCert`, mutual TLS. Default: plain-text HTTP/2 (h2c).
   */
  tls?: ServerTlsOptions;
  /** Largest request message accepted, in bytes (default 4 MiB, the gRPC default). */
  maxReceiveMessageSize?: number;
  /** Largest response message sent, in bytes (default: no limit beyond 4 GiB). */
  maxSendMessageSize?: number;
  /**
   * Largest request header list accepted (metadata and the gRPC headers), in
   * bytes as HTTP/2 counts it (name + value + 32 per field). Sent to clients
   * as SETTINGS_MAX_HEADER_LIST_SIZE; a request over it is refused with
   * RST_STREAM(ENHANCE_YOUR_CALM) before any handler runs. Default 64 KiB.
   */
  maxHeaderListSize?: number;
  /** HTTP/2 settings sent to clients (window sizes, max concurrent streams, ...). */
  http2Settings?: http2.Settings;
  /**
   * More message codecs, served for `application/grpc+<name>`. Protobuf
   * (`application/grpc`, `application/grpc+proto`) and JSON
   * (`application/grpc+json`) are always there; a codec with the same name
   * replaces one of them.
   */
  codecs?: readonly Codec[];
  /**
   * How responses are compressed unless a handler picks an encoding with
   * `call.setCompression()`: `"gzip"`, `"deflate"` or `"identity"` (the
   * default). Used only with clients that accept it (`grpc-accept-encoding`).
   */
  compression?: Compression;
  /** Responses smaller than this many bytes go uncompressed even when compressing (default 1024). */
  compressMinBytes?: number;
  /**
   * Called with errors thrown by handlers that are not GrpcErrors (the client
   * gets UNKNOWN without them). Default: `console.error`.
   */
  onHandlerError?: (error: unknown, call: ServerCall) => void;
  /**
   * Run handlers with their call as the current server call (AsyncLocalStorage),
   * so the client calls they make inherit the deadline and cancellation.
   * Default true. AsyncLocalStorage on Node 20 adds a hook to every promise
   * (measured: about 7 % of a trivial unary call's CPU, 35 % of a streamed
   * message's); it is only switched on once the process has created a
   * Channel, since before that no handler can make a call. `false` saves the
   * cost for good; calls can still name their parent with `propagate: call`.
   */
  propagateContext?: boolean;
  /**
   * Interceptors around every call's handler, the first outermost. A
   * service's own (`server.add(service, { interceptors })`) run inside them.
   */
  interceptors?: readonly ServerInterceptor[];
}

/** Options of one service given to `server.add()`. */
export interface AddServiceOptions {
  /** Interceptors for this service's calls only, inside the server's. */
  interceptors?: readonly ServerInterceptor[];
}

/** Where a server listens: a TCP port (`port: 0` picks a free one), or a UNIX socket path. */
export type ListenOptions = TcpListenOptions | UnixListenOptions;

/** A TCP port, on `host` or every interface. */
export interface TcpListenOptions {
  port: number;
  /** Default: every interface. */
  host?: string;
}

/**
 * A UNIX domain socket at `path` (clients: `unix:/path` in grpc-js and
 * grpc-go). The file must not exist yet; `close()` removes it.
 */
export interface UnixListenOptions {
  path: string;
}

/** Options of `server.close()`. */
export interface CloseOptions {
  /**
   * How long the calls in flight may go on after the GOAWAY, in milliseconds.
   * When it has passed, the calls left end as with `forceClose()`: their
   * handlers' signals abort and clients get UNAVAILABLE. Default: no limit.
   */
  graceMs?: number;
}

const MiB = 1024 * 1024;
/** How long `forceClose()` waits for the status of the calls it ends to reach their clients. */
const FLUSH_MS = 100;

/**
 * A gRPC server on HTTP/2 (plain-text h2c by default, TLS with the `tls` option), built directly on `node:http2`.
 *
 * ```ts
 * const server = new Server().add(new GreeterService());
 * const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
 * ```
 */
/** A codec the server serves, with the content-type it answers in. */
interface ServedCodec {
  readonly codec: Codec;
  readonly contentType: string;
}

export class Server {
  readonly #routes = new RouteTable();
  /** The codec for plain `application/grpc`: protobuf, unless replaced. */
  readonly #defaultCodec: ServedCodec;
  /** Every codec by subtype (`proto`, `json`, ...). */
  readonly #codecs = new Map<string, ServedCodec>();
  readonly #propagateContext: boolean;
  readonly #callOptions: ServerCallOptions;
  readonly #maxHeaderListSize: number;
  readonly #http2: http2.Http2Server | http2.Http2SecureServer;
  readonly #connectionPolicy: ConnectionPolicy;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #calls = new Set<ServerCallImpl<never, never>>();
  readonly #shutdown = new AbortController();
  /** The socket of the session being made (see the constructor). */
  #newSocket: Duplex | undefined;
  readonly #interceptors: readonly ServerInterceptor[];
  readonly #events = new EventHub();
  #eventsInterceptor: ServerInterceptor | undefined;
  readonly #chains = new WeakMap<Route, { events: ServerInterceptor | undefined; chain: ServerNext }>();

  constructor(options: ServerOptions = {}) {
    for (const codec of [protoCodec, jsonCodec, ...(options.codecs ?? [])]) {
      const name = codec.name.toLowerCase();
      // Answered in the content-type asked for: `application/grpc+proto` too, plain `application/grpc` below.
      this.#codecs.set(name, { codec, contentType: `${CONTENT_TYPE}+${name}` });
    }
    this.#defaultCodec = { codec: this.#codecs.get("proto")!.codec, contentType: CONTENT_TYPE };
    this.#propagateContext = options.propagateContext ?? true;
    this.#interceptors = [...(options.interceptors ?? [])];
    this.#callOptions = {
      maxReceiveMessageSize: options.maxReceiveMessageSize ?? 4 * MiB,
      maxSendMessageSize: options.maxSendMessageSize ?? 2 ** 32 - 1,
      compression: checkCompression(options.compression, "ServerOptions.compression") ?? "identity",
      compressMinBytes: options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES,
      onHandlerError:
        options.onHandlerError ??
        ((error, call) => console.error(`tsgrpc: handler for ${call.path} failed:`, error)),
      untrack: (call) => this.#calls.delete(call as ServerCallImpl<never, never>),
    };
    const maxHeaderListSize = options.maxHeaderListSize ?? options.http2Settings?.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST_SIZE;
    this.#maxHeaderListSize = maxHeaderListSize;
    this.#connectionPolicy = connectionPolicy(options);
    const serverOptions: http2.ServerOptions = {
      settings: {
        ...options.http2Settings,
        ...(options.maxConcurrentStreams !== undefined ? { maxConcurrentStreams: options.maxConcurrentStreams } : {}),
        initialWindowSize: options.streamWindowSize ?? options.http2Settings?.initialWindowSize ?? DEFAULT_WINDOW_SIZE,
        maxHeaderListSize,
      },
      // node:http2 also limits the number of fields (128); the byte limit above is the one that counts.
      maxHeaderListPairs: headerPairsFor(maxHeaderListSize),
      // Node refuses to send header blocks over 64 KiB; the client's advertised limit is what applies.
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      // Node's 10 MB session memory cap is lifted as on the channel: flow control bounds buffering.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    };
    this.#http2 =
      options.tls === undefined ? http2.createServer(serverOptions) : http2.createSecureServer({ ...serverOptions, ...secureServerOptions(options.tls) });
    // node:http2 makes each session synchronously inside the socket's "connection" ("secureConnection"
    // for TLS) event; noted just before, the socket lets connection policies cut a connection
    // without per-stream resets, as a dropped TCP connection (see connection.ts).
    this.#http2.prependListener(options.tls === undefined ? "connection" : "secureConnection", (socket: Duplex) => (this.#newSocket = socket));
    this.#http2.on("session", (session) => this.#onSession(session));
    this.#http2.on("stream", (stream, headers) => this.#onStream(stream, headers));
  }

  /** Registers a service: an instance of a generated `<Service>Base` subclass. */
  add(implementation: ServiceImplementation, options?: AddServiceOptions): this;
  /** Registers a service from its descriptor and a plain object of handlers. */
  add<S extends DescService>(service: S, handlers: ServiceHandlers<S>, options?: AddServiceOptions): this;
  add(first: ServiceImplementation | DescService, second?: object, third?: AddServiceOptions): this {
    const codec = this.#defaultCodec.codec;
    if (isServiceDescriptor(first)) {
      if (second === undefined) throw new TypeError("server.add(descriptor, handlers): handlers are missing");
      this.#routes.add(first, second, codec, third?.interceptors);
    } else {
      const service = first[serviceDescriptor];
      if (service === undefined) {
        throw new TypeError("server.add(impl): impl is not a generated service class; use server.add(descriptor, handlers)");
      }
      this.#routes.add(service, first, codec, (second as AddServiceOptions | undefined)?.interceptors);
    }
    return this;
  }

  /**
   * Event listeners (see `listen()`); they run as an interceptor outside all
   * others, installed with the first listener.
   * @internal
   */
  get events(): EventHub {
    return this.#events;
  }

  /** The registered services, by full name. */
  get services(): ReadonlyMap<string, DescService> {
    return this.#routes.services;
  }

  /**
   * Aborts when the server starts shutting down (`close()`, `forceClose()`).
   * Long-lived handlers (subscriptions, watches) can end on it instead of
   * holding a graceful close open; the health service reports NOT_SERVING.
   */
  get signal(): AbortSignal {
    return this.#shutdown.signal;
  }

  /** Starts listening on TCP. Resolves with the address, including the port picked for `port: 0`. */
  listen(options: TcpListenOptions): Promise<{ host: string; port: number }>;
  /** Starts listening on a UNIX socket. Resolves with its path. */
  listen(options: UnixListenOptions): Promise<{ path: string }>;
  listen(options: ListenOptions): Promise<{ host: string; port: number } | { path: string }> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.#http2.once("error", onError);
      const listening = () => {
        this.#http2.off("error", onError);
        const address = this.#http2.address();
        if (typeof address === "string" || address === null) resolve({ path: address ?? "" });
        else resolve({ host: (address as AddressInfo).address, port: (address as AddressInfo).port });
      };
      if ("path" in options) this.#http2.listen(options.path, listening);
      else this.#http2.listen(options.port, options.host, listening);
    });
  }

  /**
   * Serves one connection over any duplex stream (an in-memory pair, say)
   * as if it had come in on a socket. `peer` is what `call.peer` reports for
   * its calls.
   */
  acceptConnection(socket: Duplex, peer?: { address: string; port: number }): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (peer === undefined) {
      this.#http2.emit("connection", socket);
      return;
    }
    // node:http2 makes the session synchronously, inside the "connection" event. A duplex
    // has no peer address; net.Socket (which wraps it) reads `_peername` when its handle has none.
    const label = (session: http2.ServerHttp2Session) => {
      (session.socket as unknown as { _peername: object })._peername = { address: peer.address, port: peer.port, family: "" };
    };
    this.#http2.once("session", label);
    try {
      this.#http2.emit("connection", socket);
    } finally {
      this.#http2.off("session", label);
    }
  }

  /**
   * Shuts down gracefully: stops listening, sends every connection a GOAWAY
   * (clients open no new streams on it; new connections are refused) and
   * waits for the calls in flight to finish. With `graceMs`, the calls still
   * running when it has passed are ended as by `forceClose()`.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    this.#beginShutdown();
    const closed = new Promise<void>((resolve) => this.#http2.close(() => resolve()));
    const drained = Promise.all([...this.#sessions].map(closeSession)).then(() => closed);
    if (options.graceMs === undefined) return drained;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.graceMs)));
    const timedOut = await Promise.race([drained.then(() => false), expired]);
    clearTimeout(timer);
    // As grpc-go's Stop() after GracefulStop() times out: what is left is cut off.
    if (timedOut) await this.forceClose();
  }

  /** Ends every call now with UNAVAILABLE and drops every connection. */
  async forceClose(): Promise<void> {
    this.#beginShutdown();
    const closed = new Promise<void>((resolve) => this.#http2.close(() => resolve()));
    if (this.#calls.size > 0) {
      for (const call of this.#calls) call.abort(new GrpcError(Status.UNAVAILABLE, "server is shutting down"));
      // Give the calls' status trailers a moment to go out (a responsive client then ends its
      // streams and the connection closes by itself); drop whatever is left after that.
      let timer: NodeJS.Timeout | undefined;
      const flushed = Promise.all([...this.#sessions].map(closeSession));
      await Promise.race([flushed, new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_MS)))]);
      clearTimeout(timer);
    }
    for (const session of this.#sessions) session.destroy();
    await closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.forceClose();
  }

  #onSession(session: http2.ServerHttp2Session): void {
    this.#sessions.add(session);
    session.on("close", () => this.#sessions.delete(session));
    // Session errors (a peer that vanished, a protocol error) close the session; never crash.
    session.on("error", () => {});
    if (this.#closing) {
      session.close();
      return;
    }
    const socket = this.#newSocket;
    this.#newSocket = undefined;
    manageConnection(session, this.#connectionPolicy, socket, () => this.#callsOn(session));
  }

  /** How many calls are in flight on `session` (read when a ping comes in, for keepalive enforcement). */
  #callsOn(session: http2.ServerHttp2Session): number {
    let count = 0;
    for (const call of this.#calls) if (call.session === session) count++;
    return count;
  }

  /**
   * The interceptor chain around a route's handler: event listeners, the
   * server's interceptors, the service's. Composed once per route and kept
   * while the event listeners come and go; undefined when there are none,
   * and calls go straight to the handler.
   */
  #chainFor(route: Route): ServerNext | undefined {
    const events = this.#events.size === 0 ? undefined : (this.#eventsInterceptor ??= serverEvents(this.#events));
    if (events === undefined && this.#interceptors.length === 0 && route.interceptors.length === 0) return undefined;
    const kept = this.#chains.get(route);
    if (kept !== undefined && kept.events === events) return kept.chain;
    const all = [...(events === undefined ? [] : [events]), ...this.#interceptors, ...route.interceptors];
    const chain = routeChain(route, all);
    this.#chains.set(route, { events, chain });
    return chain;
  }

  get #closing(): boolean {
    return this.#shutdown.signal.aborted;
  }

  #beginShutdown(): void {
    if (!this.#closing) this.#shutdown.abort(new GrpcError(Status.UNAVAILABLE, "server is shutting down"));
  }

  /**
   * The codec for a request's content-type, or why there is none: the spec
   * answers a content-type that is not gRPC, or a codec we do not have, with
   * HTTP 415.
   */
  #codecFor(contentType: string | undefined): ServedCodec | string {
    if (contentType === CONTENT_TYPE) return this.#defaultCodec;
    const subtype = grpcContentSubtype(contentType);
    if (subtype === undefined) return `invalid gRPC request content-type "${contentType ?? ""}"`;
    const served = subtype === "" ? this.#defaultCodec : this.#codecs.get(subtype);
    if (served !== undefined) return served;
    return `unsupported gRPC content-type "${contentType ?? ""}": no codec "${subtype}" (supported: ${[...this.#codecs.keys()].join(", ")})`;
  }

  #onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", ignore);
    // node:http2 enforces maxHeaderListSize once the client has acknowledged our SETTINGS; the
    // requests that come before (a new connection's first) are checked here, and refused the same way.
    if (stream.session?.pendingSettingsAck === true && headerListSize(headers) > this.#maxHeaderListSize) {
      stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      return;
    }
    // Non-gRPC requests get the HTTP answer the spec gives (PROTOCOL-HTTP2: 415 for a wrong
    // content-type; grpc-go answers 405 for a method other than POST).
    if (headers[":method"] !== "POST") {
      respondHttpError(stream, 405, `invalid gRPC request method ${String(headers[":method"])}`);
      return;
    }
    const served = this.#codecFor(headers["content-type"]);
    if (typeof served === "string") {
      respondHttpError(stream, 415, served);
      return;
    }
    const path = headers[":path"] ?? "";
    const route = this.#routes.get(path);
    if (route === undefined) {
      respondStatus(stream, Status.UNIMPLEMENTED, this.#routes.describeMissing(path), served.contentType);
      return;
    }
    const encoding = headers[HEADER_ENCODING];
    if (encoding !== undefined && !isCompression(encoding)) {
      // doc/compression.md: UNIMPLEMENTED, with the encodings we do accept.
      respondStatus(stream, Status.UNIMPLEMENTED, `grpc-encoding "${String(encoding)}" is not supported (supported: ${ACCEPT_ENCODING})`, served.contentType, {
        [HEADER_ACCEPT_ENCODING]: ACCEPT_ENCODING,
      });
      return;
    }
    let timeoutMs: number | undefined;
    const timeout = headers[HEADER_TIMEOUT];
    if (timeout !== undefined) {
      timeoutMs = parseTimeout(String(timeout));
      if (timeoutMs === undefined) {
        // grpc-go rejects a malformed grpc-timeout as a protocol error with INTERNAL.
        respondStatus(stream, Status.INTERNAL, `malformed grpc-timeout "${String(timeout)}"`, served.contentType);
        return;
      }
    }
    const codecs = served.codec === this.#defaultCodec.codec ? route : route.codecs(served.codec);
    const call = new ServerCallImpl(stream, headers, route.method, codecs.input, codecs.output, served.contentType, this.#callOptions, timeoutMs);
    const calls = this.#calls as Set<ServerCallImpl<typeof route.method.input, typeof route.method.output>>;
    calls.add(call);
    void dispatch(call, route, this.#propagateContext && contextNeeded(), this.#chainFor(route));
  }
}

/** Stream errors are followed by "close", where calls end; a listener keeps them from crashing the process. */
function ignore(): void {}

function isServiceDescriptor(value: object): value is DescService {
  return (value as { kind?: unknown }).kind === "service" && !(serviceDescriptor in value);
}

function respondStatus(
  stream: http2.ServerHttp2Stream,
  code: Status,
  message: string,
  contentType: string,
  extra?: http2.OutgoingHttpHeaders,
): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ":status": 200, "content-type": contentType, ...extra, ...statusTrailers(code, message, undefined) }, RESPOND_END);
  // Drop any request body that follows.
  stream.resume();
}

function respondHttpError(stream: http2.ServerHttp2Stream, httpStatus: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ":status": httpStatus, "content-type": "text/plain; charset=utf-8" });
  stream.end(message);
  stream.resume();
}
