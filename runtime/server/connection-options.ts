import { DEFAULT_WINDOW_SIZE } from "../protocol/flow-control.js";

/**
 * The server's own keepalive (gRPC A8, server side): it pings each client
 * and closes connections whose ping goes unanswered, so the calls of a
 * client that vanished (power loss, a cut network) end instead of holding
 * resources forever.
 */
export interface ServerKeepaliveOptions {
  /** Milliseconds between pings on a connection. Default 7 200 000 (2 hours, as grpc-go). `Infinity` turns it off. */
  timeMs?: number;
  /** How long a ping may go unanswered before the connection is closed. Default 20 000 (20 s, as grpc-go). */
  timeoutMs?: number;
}

/**
 * How often clients may ping (gRPC A8 enforcement, as grpc-go's
 * `EnforcementPolicy`). A ping sooner than `minTimeMs` after the previous
 * one (or, with no call in flight and `permitWithoutCalls` false, any
 * second ping within 2 hours) is a strike; the third strike gets GOAWAY
 * ENHANCE_YOUR_CALM with debug data "too_many_pings" and the connection
 * is closed. Strikes start over once the server has sent responses since
 * the previous ping (grpc-go resets them when it sends headers or data).
 */
export interface KeepaliveEnforcementOptions {
  /** The shortest interval between client pings. Default 300 000 (5 minutes, as grpc-go). */
  minTimeMs?: number;
  /** Accept pings on a connection with no calls in flight. Default false (as grpc-go). */
  permitWithoutCalls?: boolean;
}

/** The server options about connections: keepalive, limits, flow-control windows. */
export interface ServerConnectionOptions {
  /** The server's keepalive pings. */
  keepalive?: ServerKeepaliveOptions;
  /** Limits on the clients' keepalive pings. */
  keepaliveEnforcement?: KeepaliveEnforcementOptions;
  /**
   * Most calls (streams) a client may have open at once on one connection,
   * sent as SETTINGS_MAX_CONCURRENT_STREAMS. Clients queue calls over it
   * until one ends (Node's, grpc-js's and grpc-go's do); a stream over it
   * that arrives anyway is refused (RST_STREAM REFUSED_STREAM). Default:
   * no limit (Node announces 4 294 967 295).
   */
  maxConcurrentStreams?: number;
  /**
   * Close a connection that has had no call in flight for this long
   * (graceful GOAWAY; grpc-go's MaxConnectionIdle). Default: never.
   */
  maxConnectionIdleMs?: number;
  /**
   * Close a connection this long after it opened, ±10 % jitter so clients
   * do not reconnect all at once (graceful GOAWAY: calls in flight go on;
   * grpc-go's MaxConnectionAge). Useful behind load balancers, so clients
   * spread over new servers. Default: never.
   */
  maxConnectionAgeMs?: number;
  /**
   * After `maxConnectionAgeMs`, how long calls in flight may still run
   * before the connection is cut (grpc-go's MaxConnectionAgeGrace).
   * Default: no limit.
   */
  maxConnectionAgeGraceMs?: number;
  /** Each connection's receive window (HTTP/2 flow control for all its streams), in bytes. Default 4 MiB (as grpclib). */
  connectionWindowSize?: number;
  /**
   * Each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE), in bytes;
   * same as `http2Settings.initialWindowSize`. Default 4 MiB (as grpclib).
   */
  streamWindowSize?: number;
}

/** The connection options with defaults filled in. @internal */
export interface ConnectionPolicy {
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly minPingIntervalMs: number;
  readonly permitPingsWithoutCalls: boolean;
  readonly maxConnectionIdleMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  readonly connectionWindowSize: number;
}

const HOUR = 3_600_000;

/** Fills in the defaults (grpc-go's) and checks the numbers. @internal */
export function connectionPolicy(options: ServerConnectionOptions): ConnectionPolicy {
  return {
    keepaliveTimeMs: ms(options.keepalive?.timeMs ?? 2 * HOUR, "keepalive.timeMs"),
    keepaliveTimeoutMs: ms(options.keepalive?.timeoutMs ?? 20_000, "keepalive.timeoutMs"),
    minPingIntervalMs: ms(options.keepaliveEnforcement?.minTimeMs ?? 300_000, "keepaliveEnforcement.minTimeMs", true),
    permitPingsWithoutCalls: options.keepaliveEnforcement?.permitWithoutCalls ?? false,
    maxConnectionIdleMs: ms(options.maxConnectionIdleMs ?? Infinity, "maxConnectionIdleMs"),
    maxConnectionAgeMs: ms(options.maxConnectionAgeMs ?? Infinity, "maxConnectionAgeMs"),
    maxConnectionAgeGraceMs: ms(options.maxConnectionAgeGraceMs ?? Infinity, "maxConnectionAgeGraceMs", true),
    connectionWindowSize: options.connectionWindowSize ?? DEFAULT_WINDOW_SIZE,
  };
}

function ms(value: number, name: string, zeroOk = false): number {
  if (!(value > 0 || (zeroOk && value === 0))) throw new RangeError(`ServerOptions.${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
