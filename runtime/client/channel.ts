import * as http2 from "node:http2";
import type { Duplex } from "node:stream";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { DEFAULT_COMPRESS_MIN_BYTES, checkCompression, type Compression } from "../compression/compression.js";
import { DEFAULT_MAX_HEADER_LIST_SIZE, headerPairsFor } from "../protocol/header-size.js";
import { contentTypeFor } from "../protocol/headers.js";
import { DEFAULT_WINDOW_SIZE } from "../protocol/flow-control.js";
import { noteChannelCreated } from "../context/call-context.js";
import { closeSession } from "../util/close-session.js";
import { connect, type ConnectAddress, type ChannelConnectionOptions, type ConnectParams } from "./connect.js";
import { ClientKeepalive } from "./keepalive.js";
import type { ClientInterceptor } from "../interceptors/client-interceptor.js";
import { EventHub } from "../events/event-hub.js";
import { clientEvents } from "../events/client-events.js";

/** Options of a Channel; `tls`, `keepalive` and the window sizes are in `ChannelConnectionOptions`. */
export interface ChannelOptions extends ChannelConnectionOptions {
  /** Largest response message accepted, in bytes (default 4 MiB, the gRPC default). */
  maxReceiveMessageSize?: number;
  /** Largest request message sent, in bytes (default: no limit beyond 4 GiB). */
  maxSendMessageSize?: number;
  /**
   * Largest response header list (headers or trailers) accepted, in bytes as
   * HTTP/2 counts it (name + value + 32 per field); sent to the server as
   * SETTINGS_MAX_HEADER_LIST_SIZE. Default 64 KiB.
   */
  maxHeaderListSize?: number;
  /** HTTP/2 settings sent to the server. */
  http2Settings?: http2.Settings;
  /** Prepended to the runtime's own `user-agent`. */
  userAgent?: string;
  /**
   * The message codec (default: binary protobuf, sent as `application/grpc`);
   * another is sent as `application/grpc+<name>` (`jsonCodec`: `+json`).
   */
  codec?: Codec;
  /**
   * How requests are compressed: `"gzip"`, `"deflate"` or `"identity"` (the
   * default); a call's `compression` option overrides it. Responses in any
   * of them are accepted whatever this says.
   */
  compression?: Compression;
  /** Requests smaller than this many bytes go uncompressed even when compressing (default 1024). */
  compressMinBytes?: number;
  /**
   * Opens the byte stream for each new connection instead of a TCP socket
   * (`channelFor()` joins a channel to a server in memory with it).
   */
  createConnection?: (url: URL) => Duplex;
  /**
   * Interceptors for every call on the channel, the first outermost. A
   * client's and a call's own (`CallOptions.interceptors`) run inside them.
   */
  interceptors?: readonly ClientInterceptor[];
}

const MiB = 1024 * 1024;
export const USER_AGENT = "tsgrpc-node/0.1.0";

/**
 * A connection to one server: one multiplexed HTTP/2 connection, opened on
 * the first call. When it drops, the next call opens a new one. Plain text
 * (h2c) unless the target is `https://` or the `tls` option is set.
 *
 * `target` is `host:port`, `http://host:port`, `https://host:port` or `dns:///host:port`.
 *
 * ```ts
 * await using channel = new Channel("127.0.0.1:50051");
 * ```
 */
export class Channel {
  readonly target: string;
  readonly maxReceiveMessageSize: number;
  readonly maxSendMessageSize: number;
  readonly codec: Codec;
  /** How requests are compressed unless a call says otherwise. */
  readonly compression: Compression;
  readonly compressMinBytes: number;
  /** @internal */
  readonly contentType: string;
  /** @internal */
  readonly userAgent: string;
  readonly #address: ConnectAddress;
  readonly #connect: ConnectParams;
  #session: http2.ClientHttp2Session | undefined;
  #closed = false;
  /** Calls in flight per session. */
  readonly #active = new WeakMap<http2.ClientHttp2Session, number>();
  readonly #errors = new WeakMap<http2.ClientHttp2Session, Error>();
  /** The channel's interceptors, outermost first. */
  readonly interceptors: readonly ClientInterceptor[];
  readonly #events = new EventHub();
  #eventsInterceptor: ClientInterceptor | undefined;

  constructor(target: string, options: ChannelOptions = {}) {
    noteChannelCreated();
    this.target = target;
    const url = new URL(targetToUrl(target));
    const secure = url.protocol === "https:" || options.tls !== undefined;
    if (secure && url.protocol === "http:" && target.startsWith("http://")) throw new Error(`target "${target}" says http:// but the tls option is set`);
    this.#address = { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || (secure ? 443 : 80)) };
    // Node caps a session's buffered memory at 10 MB and, past it, refuses new streams
    // with ENHANCE_YOUR_CALM for the rest of the connection. gRPC's flow control
    // already bounds what we buffer, so the cap is lifted, as grpc-js does.
    const maxHeaderListSize = options.maxHeaderListSize ?? options.http2Settings?.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST_SIZE;
    const session: http2.ClientSessionOptions = {
      settings: {
        ...options.http2Settings,
        initialWindowSize: options.streamWindowSize ?? options.http2Settings?.initialWindowSize ?? DEFAULT_WINDOW_SIZE,
        maxHeaderListSize,
      },
      // node:http2 also limits the number of fields (128); the byte limit above is the one that counts.
      maxHeaderListPairs: headerPairsFor(maxHeaderListSize),
      // Node refuses to send header blocks over 64 KiB (as REFUSED_STREAM, which reads as retryable);
      // calls check the server's advertised limit themselves and fail with a status that names it.
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    };
    this.#connect = {
      session,
      tls: secure ? (options.tls ?? {}) : undefined,
      connectionWindowSize: options.connectionWindowSize ?? DEFAULT_WINDOW_SIZE,
      keepalive: options.keepalive === undefined ? undefined : new ClientKeepalive(options.keepalive),
      hasCalls: (s) => (this.#active.get(s) ?? 0) > 0,
      createConnection: options.createConnection,
    };
    this.maxReceiveMessageSize = options.maxReceiveMessageSize ?? 4 * MiB;
    this.maxSendMessageSize = options.maxSendMessageSize ?? 2 ** 32 - 1;
    this.codec = options.codec ?? protoCodec;
    this.contentType = contentTypeFor(this.codec.name.toLowerCase());
    this.compression = checkCompression(options.compression, "ChannelOptions.compression") ?? "identity";
    this.compressMinBytes = options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES;
    this.userAgent = options.userAgent === undefined ? USER_AGENT : `${options.userAgent} ${USER_AGENT}`;
    this.interceptors = [...(options.interceptors ?? [])];
  }

  /** Event listeners (see `listen()`). @internal */
  get events(): EventHub {
    return this.#events;
  }

  /**
   * The interceptor that dispatches events to listeners, innermost (next to
   * the wire); undefined while nobody listens, so calls pay nothing.
   * @internal
   */
  eventsInterceptor(): ClientInterceptor | undefined {
    if (this.#events.size === 0) return undefined;
    return (this.#eventsInterceptor ??= clientEvents(this.#events, this.contentType));
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The current HTTP/2 session, connecting if there is none.
   * @internal
   */
  session(): http2.ClientHttp2Session {
    const current = this.#session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const session = connect(this.#address, this.#connect);
    const forget = () => {
      if (this.#session === session) this.#session = undefined;
    };
    // A dropped connection, a GOAWAY or a connect error: new calls use a new connection.
    session.on("close", forget);
    session.on("goaway", forget);
    session.on("error", forget);
    // The session's error (a refused connection, a reset socket) explains why its calls failed.
    session.on("error", (error) => this.#errors.set(session, error));
    // An idle connection does not keep the process alive; one with calls in flight does.
    session.unref();
    this.#session = session;
    return session;
  }

  /**
   * Counts a call in flight on `session`: the connection is ref'd while any is.
   * Returns the function that ends the count.
   * @internal
   */
  track(session: http2.ClientHttp2Session): () => void {
    const count = this.#active.get(session) ?? 0;
    this.#active.set(session, count + 1);
    if (count === 0) session.ref();
    return () => {
      const left = (this.#active.get(session) ?? 1) - 1;
      this.#active.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    };
  }

  /**
   * The error that ended `session`, if one did.
   * @internal
   */
  sessionError(session: http2.ClientHttp2Session): Error | undefined {
    return this.#errors.get(session);
  }

  /** Closes the connection after the calls in flight finish. New calls fail. */
  close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    return session === undefined ? Promise.resolve() : closeSession(session);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function targetToUrl(target: string): string {
  if (target.startsWith("http://")) return target;
  if (target.startsWith("https://")) return target;
  const bare = target.startsWith("dns:///") ? target.slice("dns:///".length) : target;
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d+$/.test(bare)) {
    throw new Error(`invalid target "${target}": expected host:port, dns:///host:port or http://host:port`);
  }
  return `http://${bare}`;
}
