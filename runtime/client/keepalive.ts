import * as http2 from "node:http2";
import { pingLoop } from "../util/ping-loop.js";

/**
 * Client keepalive, as gRPC proposal A8 describes it: the channel pings the
 * server every `timeMs` and closes a connection whose ping goes unanswered
 * for `timeoutMs`, so a dead server (or a dead network path) is noticed
 * instead of calls hanging until their deadline.
 */
export interface KeepaliveOptions {
  /**
   * Milliseconds between pings (A8 KEEPALIVE_TIME): the next ping goes out
   * this long after the previous one was acknowledged. Default: `Infinity`,
   * keepalive off, as in A8. Servers limit how often they accept pings
   * (grpc-go and our Server by default: at most every 5 minutes, else GOAWAY
   * ENHANCE_YOUR_CALM "too_many_pings"); on that GOAWAY the channel doubles
   * this value for its next connections, as A8 asks.
   */
  timeMs?: number;
  /**
   * How long an unanswered ping may take before the connection is closed
   * (A8 KEEPALIVE_TIMEOUT). Its calls fail with UNAVAILABLE, "keepalive
   * ping not acknowledged ...", and the next call opens a new connection.
   * Default 20 000 (20 s, as A8).
   */
  timeoutMs?: number;
  /**
   * Ping also when no call is in flight (A8 KEEPALIVE_WITHOUT_CALLS).
   * Default false: an idle connection is not pinged.
   */
  permitWithoutCalls?: boolean;
}

/** A8's default ping timeout: 20 s. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;

/** The error a connection is closed with when its keepalive ping went unanswered. */
export class KeepaliveTimeoutError extends Error {
  override readonly name = "KeepaliveTimeoutError";
}

/**
 * A channel's keepalive: its options, and the ping interval it has learned
 * (doubled after each "too_many_pings" GOAWAY). One per channel; `attach`
 * starts pinging one connection.
 * @internal
 */
export class ClientKeepalive {
  #timeMs: number;
  readonly #timeoutMs: number;
  readonly #permitWithoutCalls: boolean;

  constructor(options: KeepaliveOptions) {
    this.#timeMs = checkMs(options.timeMs ?? Infinity, "keepalive.timeMs");
    this.#timeoutMs = checkMs(options.timeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS, "keepalive.timeoutMs");
    this.#permitWithoutCalls = options.permitWithoutCalls ?? false;
  }

  /** The current ping interval, in milliseconds (Infinity: off). */
  get timeMs(): number {
    return this.#timeMs;
  }

  /** Pings `session` while it lives; `hasCalls` says whether calls are in flight on it. */
  attach(session: http2.ClientHttp2Session, hasCalls: () => boolean): void {
    // A8: a client told "too_many_pings" doubles its keepalive time.
    session.on("goaway", (code: number, _last: number, data?: Buffer) => {
      if (code === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM && data?.toString() === "too_many_pings") this.#timeMs *= 2;
    });
    if (!Number.isFinite(this.#timeMs)) return;
    const timeoutMs = this.#timeoutMs;
    pingLoop(session, {
      intervalMs: () => this.#timeMs,
      timeoutMs,
      shouldPing: () => this.#permitWithoutCalls || hasCalls(),
      onTimeout: () =>
        session.destroy(new KeepaliveTimeoutError(`keepalive ping not acknowledged within ${timeoutMs} ms: the server or the network is gone`)),
    });
  }
}

function checkMs(value: number, name: string): number {
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}
