/**
 * Keepalive enforcement for one connection, as grpc-go's server does it
 * (http2_server.go `handlePing`, gRPC A8): a ping too soon after the previous
 * one is a strike, and more than `MAX_PING_STRIKES` strikes mean the client
 * pings too often.
 * @internal
 */
export class PingPolicy {
  /** grpc-go's maxPingStrikes: the third strike closes the connection. */
  static readonly MAX_PING_STRIKES = 2;
  /** With no calls in flight (and pings without calls not permitted), one ping per 2 hours is fine (grpc-go's defaultPingTimeout). */
  static readonly IDLE_PING_INTERVAL_MS = 2 * 3_600_000;

  #strikes = 0;
  #lastPingAt = -Infinity;

  constructor(
    readonly minIntervalMs: number,
    readonly permitWithoutCalls: boolean,
  ) {}

  /**
   * Counts a ping received at `now`. `activeCalls` is the number of calls in
   * flight; `sentSincePrevious` whether the server sent responses since the
   * previous ping (which starts the count over, as grpc-go's
   * resetPingStrikes). Returns true when the client has pinged too often.
   */
  onPing(now: number, activeCalls: number, sentSincePrevious: boolean): boolean {
    const previous = this.#lastPingAt;
    this.#lastPingAt = now;
    if (sentSincePrevious) {
      this.#strikes = 0;
      return false;
    }
    const allowed = activeCalls < 1 && !this.permitWithoutCalls ? PingPolicy.IDLE_PING_INTERVAL_MS : this.minIntervalMs;
    if (now - previous < allowed) this.#strikes++;
    return this.#strikes > PingPolicy.MAX_PING_STRIKES;
  }
}
