import type { Http2Session } from "node:http2";

/** How `pingLoop` pings. */
export interface PingLoopOptions {
  /** Milliseconds from the end of one ping (acked) to the next: A8's KEEPALIVE_TIME. */
  readonly intervalMs: () => number;
  /** How long an ack may take before the connection counts as dead: A8's KEEPALIVE_TIMEOUT. */
  readonly timeoutMs: number;
  /** Asked before each ping: false skips it (and waits another interval). */
  readonly shouldPing: () => boolean;
  /** Called once when a ping went unanswered for `timeoutMs`; the caller closes the connection. */
  readonly onTimeout: () => void;
}

/**
 * Pings `session` every interval and reports a peer that stops answering
 * (gRPC A8 keepalive, used by both the channel and the server). Every timer is
 * unref'd (a keepalive never keeps a process alive) and cleared when the
 * session closes. Pinging a session that is closing or destroyed is never
 * attempted, and a `ping()` that throws anyway is caught: a dead connection
 * must not crash the process (Connect-ES #1795 did).
 */
export function pingLoop(session: Http2Session, options: PingLoopOptions): void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const gone = () => stopped || session.destroyed || session.closed;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  const wait = (ms: number, then: () => void) => {
    clearTimeout(timer);
    if (gone() || !Number.isFinite(ms)) return;
    timer = setTimeout(then, ms);
    timer.unref();
  };
  const tick = () => {
    if (gone()) return;
    if (!options.shouldPing()) {
      wait(options.intervalMs(), tick);
      return;
    }
    let sent: boolean;
    try {
      sent = session.ping((error) => {
        // An error here means the session went away (ERR_HTTP2_PING_CANCEL): nothing to do.
        if (error === null) wait(options.intervalMs(), tick);
      });
    } catch {
      // ERR_HTTP2_INVALID_SESSION: destroyed between the check and the call.
      return;
    }
    // False: too many pings unanswered already (Node's limit); try again later.
    if (!sent) {
      wait(options.intervalMs(), tick);
      return;
    }
    wait(options.timeoutMs, () => {
      if (gone()) return;
      stop();
      options.onTimeout();
    });
  };
  session.once("close", stop);
  const start = () => wait(options.intervalMs(), tick);
  // A client session pings only once it is connected; a server session is from the start.
  if (session.connecting) session.once("connect", start);
  else start();
}
