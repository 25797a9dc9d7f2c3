import type * as http2 from "node:http2";
import type { Duplex } from "node:stream";
import type { DescMethod } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { protoCodec } from "../codec/proto-codec.js";
import { ACCEPT_ENCODING, DEFAULT_COMPRESS_MIN_BYTES, checkCompression, type Compression } from "../compression/compression.js";
import { DEFAULT_MAX_HEADER_LIST_SIZE, headerPairsFor } from "../protocol/header-size.js";
import { contentTypeFor, HEADER_ACCEPT_ENCODING, methodPath } from "../protocol/headers.js";
import { DEFAULT_WINDOW_SIZE } from "../protocol/flow-control.js";
import { noteChannelCreated } from "../context/call-context.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { backoffSettings, type BackoffOptions } from "./backoff.js";
import type { Balancer, BalancerHelper, LoadBalancingPolicy } from "./balancer/balancer.js";
import { PickFirst } from "./balancer/pick-first.js";
import { RoundRobin } from "./balancer/round-robin.js";
import { ConnectivityState, StateWatchers, type StateListener } from "./connectivity.js";
import type { SessionOptions } from "./open-session.js";
import type { ChannelConnectionOptions } from "./connect.js";
import { ClientKeepalive } from "./keepalive.js";
import { RetryThrottle } from "./retry/throttle.js";
import { checkRetryThrottling, MethodConfigs, policyFromConfig, type CompiledMethodConfig, type ServiceConfig } from "./service-config.js";
import { Subchannel } from "./subchannel.js";
import { Resolver } from "./resolver.js";
import { parseTarget, type Address, type ParsedTarget } from "./target.js";
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
   * (`channelFor()` joins a channel to a server in memory with it). The
   * target's name is then not looked up: it is only the `:authority`.
   */
  createConnection?: (url: URL) => Duplex;
  /**
   * Interceptors for every call on the channel, the first outermost. A
   * client's and a call's own (`CallOptions.interceptors`) run inside them.
   */
  interceptors?: readonly ClientInterceptor[];
  /**
   * How calls are spread over the target's addresses: `"pick_first"` (the
   * default: one connection, to the first address that answers) or
   * `"round_robin"` (a connection to each, calls in turn). The service
   * config's `loadBalancingConfig`, if it names one, wins.
   */
  loadBalancing?: LoadBalancingPolicy;
  /** Per-method retries, timeouts and waitForReady, and the balancing policy, in the gRPC service-config shape. */
  serviceConfig?: ServiceConfig;
  /** Reconnect backoff (gRPC connection-backoff spec); the defaults are the spec's. */
  backoff?: BackoffOptions;
  /**
   * After this many milliseconds without calls the channel closes its
   * connections and goes IDLE; the next call connects again. Default 30
   * minutes (grpc's); `Infinity` never.
   */
  idleTimeoutMs?: number;
  /** Whether methods with a retry policy are retried (default true; grpc's `grpc.enable_retries`). */
  retries?: boolean;
  /** Requests a call keeps for replaying on a retry, in bytes; past it the call is committed (default 256 KiB, as grpc). */
  perCallRetryBufferBytes?: number;
  /** The same limit for all the calls of the channel together (default 16 MiB, as grpc). */
  retryBufferBytes?: number;
}

const MiB = 1024 * 1024;
export const USER_AGENT = "tsgrpc-node/0.1.0";
/** grpc's default client idle timeout. */
const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;

/**
 * A call waiting for a connection (the channel is resolving, connecting, or
 * in TRANSIENT_FAILURE with `waitForReady`).
 * @internal
 */
export interface PickWaiter {
  readonly waitForReady: boolean;
  onPicked(session: http2.ClientHttp2Session): void;
  onPickFailed(error: GrpcError): void;
}

/**
 * A client channel: a target, resolved to one or more addresses, the
 * HTTP/2 connections to them (plain text, h2c, unless the target is
 * `https://` or the `tls` option is set), and the load-balancing policy that picks
 * one for each call. Connects on the first call (or `getState(true)`),
 * reconnects with backoff, and goes IDLE after `idleTimeoutMs` without calls.
 *
 * `target` is `host:port`, `dns:///host:port`, `ipv4:addr:port,...`,
 * `ipv6:[addr]:port,...`, `unix:/path`, `http://host:port` or `https://host:port`.
 *
 * ```ts
 * await using channel = new Channel("127.0.0.1:50051");
 * ```
 *
 * Structure, bottom up: `openSession()` (open-session.ts) opens one
 * connection; a `Subchannel` owns the connection to one address and its
 * states; a balancer (`PickFirst`, `RoundRobin`) owns the subchannels and
 * picks; the channel resolves the target, aggregates the state and queues
 * calls that wait for a pick.
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
  /** Per method, the request headers every call sends; a call adds to a copy (node:http2 copies what it is given, too). */
  readonly #requestHeaders = new WeakMap<DescMethod, http2.OutgoingHttpHeaders>();
  /** @internal */
  readonly retryThrottle: RetryThrottle | undefined;
  /** @internal */
  readonly perCallRetryBufferBytes: number;
  readonly #retryBufferBytes: number;
  readonly #retriesEnabled: boolean;
  #retryBufferUsed = 0;
  readonly #methodConfigs: MethodConfigs | undefined;
  readonly #parsed: ParsedTarget;
  readonly #sessionOptions: SessionOptions;
  readonly #backoff: Required<BackoffOptions>;
  readonly #policy: LoadBalancingPolicy;
  readonly #idleTimeoutMs: number;
  #state: ConnectivityState = ConnectivityState.IDLE;
  readonly #watchers = new StateWatchers();
  #balancer: Balancer | undefined;
  #resolver: Resolver | undefined;
  /** Bumped whenever the balancer and resolver are replaced, so late reports from old ones are dropped. */
  #generation = 0;
  #addresses: readonly Address[] | undefined;
  /** Why the channel is in TRANSIENT_FAILURE: the message of fail-fast calls. */
  #lastError: Error | undefined;
  readonly #waiters = new Set<PickWaiter>();
  /** Keeps the process alive while calls wait for a connection (sockets and timers are unref'd). */
  #holdOpen: NodeJS.Timeout | undefined;
  /** Calls in flight, in all and per session. */
  #active = 0;
  readonly #activePerSession = new WeakMap<http2.ClientHttp2Session, number>();
  readonly #errors = new WeakMap<http2.ClientHttp2Session, Error>();
  /** The channel's interceptors, outermost first. */
  readonly interceptors: readonly ClientInterceptor[];
  readonly #events = new EventHub();
  #eventsInterceptor: ClientInterceptor | undefined;
  #lastActive = 0;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(target: string, options: ChannelOptions = {}) {
    noteChannelCreated();
    this.target = target;
    const parsed = parseTarget(target);
    // A channel with its own createConnection connects to the target's name as given: nothing to look up.
    this.#parsed =
      options.createConnection !== undefined && parsed.kind === "dns"
        ? { kind: "static", addresses: [{ host: parsed.host, port: parsed.port }], authority: parsed.authority }
        : parsed;
    // Node caps a session's buffered memory at 10 MB and, past it, refuses new streams
    // with ENHANCE_YOUR_CALM for the rest of the connection. gRPC's flow control
    // already bounds what we buffer, so the cap is lifted, as grpc-js does.
    const maxHeaderListSize = options.maxHeaderListSize ?? options.http2Settings?.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST_SIZE;
    const secure = target.startsWith("https://") || options.tls !== undefined;
    if (secure && target.startsWith("http://")) throw new TypeError(`target "${target}" says http:// but the tls option is set`);
    this.#sessionOptions = {
      authority: this.#parsed.authority,
      createConnection: options.createConnection,
      tls: secure ? (options.tls ?? {}) : undefined,
      keepalive: options.keepalive === undefined ? undefined : new ClientKeepalive(options.keepalive),
      connectionWindowSize: options.connectionWindowSize ?? DEFAULT_WINDOW_SIZE,
      hasCalls: (session) => (this.#activePerSession.get(session) ?? 0) > 0,
      http2: {
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
      },
    };
    this.maxReceiveMessageSize = options.maxReceiveMessageSize ?? 4 * MiB;
    this.maxSendMessageSize = options.maxSendMessageSize ?? 2 ** 32 - 1;
    this.codec = options.codec ?? protoCodec;
    this.contentType = contentTypeFor(this.codec.name.toLowerCase());
    this.compression = checkCompression(options.compression, "ChannelOptions.compression") ?? "identity";
    this.compressMinBytes = options.compressMinBytes ?? DEFAULT_COMPRESS_MIN_BYTES;
    this.userAgent = options.userAgent === undefined ? USER_AGENT : `${options.userAgent} ${USER_AGENT}`;
    this.#backoff = backoffSettings(options.backoff);
    const config = options.serviceConfig;
    this.#policy = policyFromConfig(config) ?? options.loadBalancing ?? "pick_first";
    if (this.#policy !== "pick_first" && this.#policy !== "round_robin") {
      throw new TypeError(`ChannelOptions.loadBalancing must be "pick_first" or "round_robin", got ${JSON.stringify(this.#policy)}`);
    }
    this.#methodConfigs = config?.methodConfig === undefined ? undefined : new MethodConfigs(config.methodConfig);
    const retries = options.retries ?? true;
    this.retryThrottle = retries && config?.retryThrottling !== undefined ? new RetryThrottle(checkRetryThrottling(config.retryThrottling)) : undefined;
    this.#retriesEnabled = retries;
    this.perCallRetryBufferBytes = options.perCallRetryBufferBytes ?? 256 * 1024;
    this.#retryBufferBytes = options.retryBufferBytes ?? 16 * MiB;
    const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (!(idle > 0)) throw new RangeError(`ChannelOptions.idleTimeoutMs must be > 0 (Infinity: never), got ${idle}`);
    this.#idleTimeoutMs = idle;
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
    return this.#state === ConnectivityState.SHUTDOWN;
  }

  /** The connectivity state. */
  get state(): ConnectivityState {
    return this.#state;
  }

  /** The connectivity state; with `tryToConnect`, an IDLE channel starts connecting (as grpc's `GetState(true)`). */
  getState(tryToConnect = false): ConnectivityState {
    if (tryToConnect) this.#exitIdle();
    return this.#state;
  }

  /**
   * Resolves with the state once it is no longer `current` (at once if it
   * already differs), as grpc's `WaitForStateChange`; rejects with the
   * signal's reason if it aborts first.
   */
  waitForStateChange(current: ConnectivityState, signal?: AbortSignal): Promise<ConnectivityState> {
    return this.#watchers.waitForChange(() => this.#state, current, signal);
  }

  /** Calls `listener` on every state change; returns the function that stops it. */
  onStateChange(listener: StateListener): () => void {
    return this.#watchers.add(listener);
  }

  /**
   * The method config of the service config that applies to `method`.
   * @internal
   */
  methodConfig(method: DescMethod): CompiledMethodConfig | undefined {
    return this.#methodConfigs?.get(method);
  }

  /** Whether retry policies apply (`ChannelOptions.retries`). @internal */
  get retriesEnabled(): boolean {
    return this.#retriesEnabled;
  }

  /**
   * Takes `bytes` of the channel's retry buffer; false when it is full (the
   * call then commits: no more retries).
   * @internal
   */
  reserveRetryBuffer(bytes: number): boolean {
    if (this.#retryBufferUsed + bytes > this.#retryBufferBytes) return false;
    this.#retryBufferUsed += bytes;
    return true;
  }

  /** Gives back what `reserveRetryBuffer` took. @internal */
  releaseRetryBuffer(bytes: number): void {
    this.#retryBufferUsed -= bytes;
  }

  /**
   * A connection for a new call: a session when one is ready, an error when
   * the call must fail now (channel closed, or TRANSIENT_FAILURE without
   * `waitForReady`), undefined when it must wait (`waitForPick`).
   * @internal
   */
  pick(waitForReady: boolean): http2.ClientHttp2Session | GrpcError | undefined {
    switch (this.#state) {
      case ConnectivityState.READY:
        return this.#balancer!.pick();
      case ConnectivityState.SHUTDOWN:
        return closedError();
      case ConnectivityState.TRANSIENT_FAILURE:
        return waitForReady ? undefined : this.#failFastError();
      case ConnectivityState.IDLE:
        this.#exitIdle();
        return undefined;
      default:
        return undefined;
    }
  }

  /** Queues a call until a connection is picked for it or it must fail. @internal */
  waitForPick(waiter: PickWaiter): void {
    this.#waiters.add(waiter);
    this.#holdOpen ??= setInterval(() => {}, 1 << 30);
    this.#serveWaiters();
  }

  /** Takes a call off the queue (it was cancelled or timed out). @internal */
  cancelPick(waiter: PickWaiter): void {
    this.#waiters.delete(waiter);
    this.#releaseHold();
  }

  /**
   * A connection the channel has ready now (tests use it to look at or drop
   * the connection). Throws when there is none.
   * @internal
   */
  session(): http2.ClientHttp2Session {
    const session = this.#state === ConnectivityState.READY ? this.#balancer?.pick() : undefined;
    if (session === undefined) throw new Error(`channel has no ready connection (state ${this.#state})`);
    return session;
  }

  /** The headers of `method`'s calls before any call adds its own (timeout, metadata, encoding). @internal */
  requestHeaders(method: DescMethod): http2.OutgoingHttpHeaders {
    let headers = this.#requestHeaders.get(method);
    if (headers === undefined) {
      headers = Object.freeze({
        ":method": "POST",
        ":path": methodPath(method),
        "content-type": this.contentType,
        te: "trailers",
        "user-agent": this.userAgent,
        // doc/compression.md: a client always says which response encodings it reads.
        [HEADER_ACCEPT_ENCODING]: ACCEPT_ENCODING,
      });
      this.#requestHeaders.set(method, headers);
    }
    return headers;
  }

  /**
   * Counts a call in flight on `session`: the connection is ref'd while any
   * is. The call ends the count with `untrack(session)`.
   * @internal
   */
  track(session: http2.ClientHttp2Session): void {
    const count = this.#activePerSession.get(session) ?? 0;
    this.#activePerSession.set(session, count + 1);
    this.#active++;
    if (count === 0) session.ref();
  }

  /** A call `track()`ed on `session` is over. @internal */
  untrack(session: http2.ClientHttp2Session): void {
    const left = (this.#activePerSession.get(session) ?? 1) - 1;
    this.#activePerSession.set(session, left);
    if (left === 0 && !session.destroyed) session.unref();
    if (--this.#active === 0) this.#startIdleTimer();
  }


  /**
   * The error that ended `session`, if one did.
   * @internal
   */
  sessionError(session: http2.ClientHttp2Session): Error | undefined {
    return this.#errors.get(session);
  }

  /**
   * Shuts down (SHUTDOWN): new calls and calls waiting for a connection fail
   * with UNAVAILABLE; the connections close after the calls in flight finish.
   */
  close(): Promise<void> {
    if (this.#state === ConnectivityState.SHUTDOWN) return Promise.resolve();
    this.#setState(ConnectivityState.SHUTDOWN);
    clearTimeout(this.#idleTimer);
    const balancer = this.#dropBalancer();
    return balancer === undefined ? Promise.resolve() : balancer.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #exitIdle(): void {
    if (this.#state !== ConnectivityState.IDLE) return;
    // Counted from now: a channel that connects (or keeps failing to) and sees no call still goes idle.
    this.#startIdleTimer();
    this.#balancer ??= this.#createBalancer();
    this.#setState(ConnectivityState.CONNECTING);
    if (this.#addresses === undefined) {
      this.#resolver!.resolve();
    } else {
      this.#balancer.updateAddresses(this.#addresses);
      this.#balancer.exitIdle();
    }
  }

  #createBalancer(): Balancer {
    const generation = ++this.#generation;
    const helper: BalancerHelper = {
      createSubchannel: (address, onChange) => {
        const subchannel = new Subchannel(address, {
          session: this.#sessionOptions,
          backoff: this.#backoff,
          onStateChange: (s) => {
            if (generation === this.#generation) onChange(s);
          },
          onSessionError: (session, error) => this.#errors.set(session, error),
        });
        return subchannel;
      },
      updateState: (state, error) => {
        if (generation !== this.#generation) return;
        if (error !== undefined) this.#lastError = error;
        this.#setState(state);
      },
      requestResolution: () => {
        if (generation === this.#generation) this.#resolver?.requestResolution();
      },
    };
    const balancer = this.#policy === "round_robin" ? new RoundRobin(helper) : new PickFirst(helper);
    this.#resolver = new Resolver(this.#parsed, this.#backoff, {
      onAddresses: (addresses) => {
        if (generation !== this.#generation) return;
        const first = this.#addresses === undefined;
        this.#addresses = addresses;
        balancer.updateAddresses(addresses);
        if (first) balancer.exitIdle();
      },
      onError: (error) => {
        // Nothing to connect to yet: TRANSIENT_FAILURE (the resolver tries again after a backoff).
        // A failed re-resolution keeps the addresses there are.
        if (generation !== this.#generation || this.#addresses !== undefined) return;
        this.#lastError = error;
        this.#setState(ConnectivityState.TRANSIENT_FAILURE);
      },
    });
    return balancer;
  }

  /** Detaches the balancer and resolver (for SHUTDOWN or IDLE); returns the balancer to shut down. */
  #dropBalancer(): Balancer | undefined {
    const balancer = this.#balancer;
    this.#balancer = undefined;
    this.#resolver?.shutdown();
    this.#resolver = undefined;
    this.#generation++;
    return balancer;
  }

  #setState(state: ConnectivityState): void {
    const previous = this.#state;
    if (previous === state || previous === ConnectivityState.SHUTDOWN) return;
    this.#state = state;
    if (state === ConnectivityState.READY) this.#lastError = undefined;
    this.#serveWaiters();
    this.#watchers.notify(state, previous);
  }

  /** Hands the waiting calls a connection, or their error, as the state allows. */
  #serveWaiters(): void {
    if (this.#waiters.size === 0) return;
    switch (this.#state) {
      case ConnectivityState.READY:
        for (const waiter of this.#waiters) {
          const session = this.#balancer!.pick();
          if (session === undefined) break;
          this.#waiters.delete(waiter);
          waiter.onPicked(session);
        }
        break;
      case ConnectivityState.TRANSIENT_FAILURE:
        for (const waiter of this.#waiters) {
          if (waiter.waitForReady) continue;
          this.#waiters.delete(waiter);
          waiter.onPickFailed(this.#failFastError());
        }
        break;
      case ConnectivityState.SHUTDOWN:
        for (const waiter of this.#waiters) {
          this.#waiters.delete(waiter);
          waiter.onPickFailed(closedError());
        }
        break;
      case ConnectivityState.IDLE:
        this.#exitIdle();
        break;
      default:
        break;
    }
    this.#releaseHold();
  }

  #releaseHold(): void {
    if (this.#waiters.size === 0 && this.#holdOpen !== undefined) {
      clearInterval(this.#holdOpen);
      this.#holdOpen = undefined;
      // The last waiting call is gone (picked, failed or cancelled): idleness counts from now.
      if (this.#active === 0 && this.#state !== ConnectivityState.SHUTDOWN) this.#startIdleTimer();
    }
  }

  #failFastError(): GrpcError {
    const error = this.#lastError;
    const detail = error === undefined ? "connection failed" : errorText(error);
    return new GrpcError(Status.UNAVAILABLE, detail, { cause: error });
  }

  /** Arms the idle timer when the last call in flight ends (one timer, re-armed lazily, not one per call). */
  #startIdleTimer(): void {
    this.#lastActive = Date.now();
    if (this.#idleTimer !== undefined || this.#idleTimeoutMs === Infinity) return;
    this.#armIdleTimer(this.#idleTimeoutMs);
  }

  #armIdleTimer(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#active > 0 || this.#waiters.size > 0) return; // re-armed when the last call ends
      const left = this.#lastActive + this.#idleTimeoutMs - Date.now();
      if (left > 0) this.#armIdleTimer(left);
      else this.#enterIdle();
    }, Math.min(ms, 2 ** 31 - 1)).unref();
  }

  /** No calls for idleTimeoutMs: connections closed, resolver and balancer dropped, IDLE (grpc's channel idleness). */
  #enterIdle(): void {
    if (this.#state === ConnectivityState.SHUTDOWN || this.#state === ConnectivityState.IDLE) return;
    if (this.#parsed.kind === "dns") this.#addresses = undefined;
    void this.#dropBalancer()?.shutdown();
    this.#setState(ConnectivityState.IDLE);
  }
}

function closedError(): GrpcError {
  return new GrpcError(Status.UNAVAILABLE, "channel is closed");
}

/** An error's message, with its cause's when that says more (`connect ECONNREFUSED 127.0.0.1:1234`). */
function errorText(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && !error.message.includes(cause.message)) return `${error.message}: ${cause.message}`;
  return error.message;
}
