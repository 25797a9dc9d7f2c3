import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { DescService } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { HEADER_ENCODING, HEADER_TIMEOUT, isGrpcContentType, statusTrailers, CONTENT_TYPE } from "../protocol/headers.js";
import { parseTimeout } from "../protocol/timeout.js";
import { serviceDescriptor, type ServiceHandlers, type ServiceImplementation } from "../service/service-implementation.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { closeSession } from "../util/close-session.js";
import { dispatch } from "./dispatch.js";
import { RouteTable } from "./routes.js";
import { RESPOND_END, ServerCallImpl, type ServerCall, type ServerCallOptions } from "./server-call.js";

export interface ServerOptions {
  /** Largest request message accepted, in bytes (default 4 MiB, the gRPC default). */
  maxReceiveMessageSize?: number;
  /** Largest response message sent, in bytes (default: no limit beyond 4 GiB). */
  maxSendMessageSize?: number;
  /** HTTP/2 settings sent to clients (window sizes, max concurrent streams, ...). */
  http2Settings?: http2.Settings;
  /** The message codec (default: binary protobuf). */
  codec?: Codec;
  /**
   * Called with errors thrown by handlers that are not GrpcErrors (the client
   * gets UNKNOWN without them). Default: `console.error`.
   */
  onHandlerError?: (error: unknown, call: ServerCall) => void;
  /**
   * Run handlers with their call as the current server call (AsyncLocalStorage),
   * so the client calls they make inherit the deadline and cancellation.
   * Default true. AsyncLocalStorage on Node 20 adds a hook to every promise,
   * about 10 % of a trivial unary call's CPU; `false` saves that, and calls
   * can still name their parent with the `propagate` call option.
   */
  propagateContext?: boolean;
}

/** Where a server listens. `port: 0` picks a free port. */
export interface ListenOptions {
  port: number;
  /** Default: every interface. */
  host?: string;
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
 * A gRPC server on plain-text HTTP/2 (h2c), built directly on `node:http2`.
 *
 * ```ts
 * const server = new Server().add(new GreeterService());
 * const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
 * ```
 */
export class Server {
  readonly #routes = new RouteTable();
  readonly #codec: Codec;
  readonly #propagateContext: boolean;
  readonly #callOptions: ServerCallOptions;
  readonly #http2: http2.Http2Server;
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #calls = new Set<ServerCallImpl<never, never>>();
  readonly #shutdown = new AbortController();

  constructor(options: ServerOptions = {}) {
    this.#codec = options.codec ?? protoCodec;
    this.#propagateContext = options.propagateContext ?? true;
    this.#callOptions = {
      maxReceiveMessageSize: options.maxReceiveMessageSize ?? 4 * MiB,
      maxSendMessageSize: options.maxSendMessageSize ?? 2 ** 32 - 1,
      onHandlerError:
        options.onHandlerError ??
        ((error, call) => console.error(`tsgrpc: handler for ${call.path} failed:`, error)),
    };
    // Node's 10 MB session memory cap is lifted as on the channel: flow control bounds buffering.
    this.#http2 = http2.createServer({ settings: options.http2Settings ?? {}, maxSessionMemory: Number.MAX_SAFE_INTEGER });
    this.#http2.on("session", (session) => this.#onSession(session));
    this.#http2.on("stream", (stream, headers) => this.#onStream(stream, headers));
  }

  /** Registers a service: an instance of a generated `<Service>Base` subclass. */
  add(implementation: ServiceImplementation): this;
  /** Registers a service from its descriptor and a plain object of handlers. */
  add<S extends DescService>(service: S, handlers: ServiceHandlers<S>): this;
  add(first: ServiceImplementation | DescService, handlers?: object): this {
    if (handlers !== undefined) {
      this.#routes.add(first as DescService, handlers, this.#codec);
    } else {
      const service = (first as ServiceImplementation)[serviceDescriptor];
      if (service === undefined) {
        throw new TypeError("server.add(impl): impl is not a generated service class; use server.add(descriptor, handlers)");
      }
      this.#routes.add(service, first, this.#codec);
    }
    return this;
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

  /** Starts listening. Resolves with the address, including the port picked for `port: 0`. */
  listen(options: ListenOptions): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.#http2.once("error", onError);
      this.#http2.listen(options.port, options.host, () => {
        this.#http2.off("error", onError);
        const address = this.#http2.address() as AddressInfo;
        resolve({ host: address.address, port: address.port });
      });
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
    if (this.#closing) session.close();
  }

  get #closing(): boolean {
    return this.#shutdown.signal.aborted;
  }

  #beginShutdown(): void {
    if (!this.#closing) this.#shutdown.abort(new GrpcError(Status.UNAVAILABLE, "server is shutting down"));
  }

  #onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", () => {});
    // Non-gRPC requests get the HTTP answer the spec gives (PROTOCOL-HTTP2: 415 for a wrong
    // content-type; grpc-go answers 405 for a method other than POST).
    if (headers[":method"] !== "POST") {
      respondHttpError(stream, 405, `invalid gRPC request method ${String(headers[":method"])}`);
      return;
    }
    if (!isGrpcContentType(headers["content-type"])) {
      respondHttpError(stream, 415, `invalid gRPC request content-type "${headers["content-type"] ?? ""}"`);
      return;
    }
    const path = headers[":path"] ?? "";
    const route = this.#routes.get(path);
    if (route === undefined) {
      respondStatus(stream, Status.UNIMPLEMENTED, this.#routes.describeMissing(path));
      return;
    }
    const encoding = headers[HEADER_ENCODING];
    if (encoding !== undefined && encoding !== "identity") {
      respondStatus(stream, Status.UNIMPLEMENTED, `grpc-encoding "${String(encoding)}" is not supported`);
      return;
    }
    let timeoutMs: number | undefined;
    const timeout = headers[HEADER_TIMEOUT];
    if (timeout !== undefined) {
      timeoutMs = parseTimeout(String(timeout));
      if (timeoutMs === undefined) {
        // grpc-go rejects a malformed grpc-timeout as a protocol error with INTERNAL.
        respondStatus(stream, Status.INTERNAL, `malformed grpc-timeout "${String(timeout)}"`);
        return;
      }
    }
    const call = new ServerCallImpl(stream, headers, route.method, route.input, route.output, this.#callOptions, timeoutMs);
    const calls = this.#calls as Set<ServerCallImpl<typeof route.method.input, typeof route.method.output>>;
    calls.add(call);
    stream.once("close", () => calls.delete(call));
    void dispatch(call, route, this.#propagateContext);
  }
}

function respondStatus(stream: http2.ServerHttp2Stream, code: Status, message: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ":status": 200, "content-type": CONTENT_TYPE, ...statusTrailers(code, message, undefined) }, RESPOND_END);
  // Drop any request body that follows.
  stream.resume();
}

function respondHttpError(stream: http2.ServerHttp2Stream, httpStatus: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ":status": httpStatus, "content-type": "text/plain; charset=utf-8" });
  stream.end(message);
  stream.resume();
}
