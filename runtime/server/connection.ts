import * as http2 from "node:http2";
import type { Duplex } from "node:stream";
import { pingLoop } from "../util/ping-loop.js";
import type { ConnectionPolicy } from "./connection-options.js";
import { PingPolicy } from "./ping-policy.js";

const { NGHTTP2_NO_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/** The largest stream id: a GOAWAY with it refuses nothing yet (a "heads-up", as grpc-go's first GOAWAY). */
const MAX_STREAM_ID = 2 ** 31 - 1;
/**
 * Bytes a ping ack takes on the wire, with TLS record overhead (17 bytes of
 * frame, up to ~30 of TLS). A server that wrote more than this since the
 * previous ping has sent responses, and the ping strikes start over.
 */
const PING_ACK_BYTES = 64;
/** grpc-go's jitter on MaxConnectionAge: ±10 %. */
const AGE_JITTER = 0.1;

/**
 * Runs one server connection's policies: keepalive pings (A8), keepalive
 * enforcement (GOAWAY ENHANCE_YOUR_CALM "too_many_pings"), max idle, max
 * age with its grace, and the connection window. Every timer is unref'd
 * and cleared when the session closes.
 * @internal
 */
export function manageConnection(
  session: http2.ServerHttp2Session,
  policy: ConnectionPolicy,
  socket: Duplex | undefined,
  activeCalls: () => number,
): void {
  const cut = () => cutConnection(session, socket);
  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let ageTimer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const later = (ms: number, then: () => void): NodeJS.Timeout | undefined => {
    if (!Number.isFinite(ms)) return undefined;
    const timer = setTimeout(then, ms);
    timer.unref();
    return timer;
  };
  session.once("close", () => {
    clearTimeout(idleTimer);
    clearTimeout(ageTimer);
    clearTimeout(graceTimer);
  });

  if (!session.destroyed) session.setLocalWindowSize(policy.connectionWindowSize);

  // Max idle (grpc-go MaxConnectionIdle): counted from when the last call ended, or from the start.
  const startIdle = () => {
    idleTimer = later(policy.maxConnectionIdleMs, () => drain(session, "max_idle"));
  };
  if (Number.isFinite(policy.maxConnectionIdleMs)) {
    // Only then is every stream counted: the default (no idle limit) adds nothing per call.
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      active++;
      clearTimeout(idleTimer);
      stream.once("close", () => {
        if (--active === 0 && !session.closed && !session.destroyed) startIdle();
      });
    });
    startIdle();
  }

  // Max age (grpc-go MaxConnectionAge / MaxConnectionAgeGrace), with ±10 % jitter.
  const age = policy.maxConnectionAgeMs * (1 - AGE_JITTER + 2 * AGE_JITTER * Math.random());
  ageTimer = later(age, () => {
    drain(session, "max_age");
    graceTimer = later(policy.maxConnectionAgeGraceMs, cut);
  });

  // Enforcement: count the client's pings (Node emits "ping" for each one received).
  const pings = new PingPolicy(policy.minPingIntervalMs, policy.permitPingsWithoutCalls);
  let writtenAtPing = bytesWritten(session);
  session.on("ping", () => {
    const written = bytesWritten(session);
    const sent = written - writtenAtPing > PING_ACK_BYTES;
    writtenAtPing = written;
    if (pings.onPing(Date.now(), activeCalls(), sent)) tooManyPings(session, cut);
  });

  // The server's own keepalive: a client that stops answering is dropped, its calls end.
  pingLoop(session, {
    intervalMs: () => policy.keepaliveTimeMs,
    timeoutMs: policy.keepaliveTimeoutMs,
    shouldPing: () => true,
    // The client is gone: nothing to tell it, so the connection is simply dropped.
    onTimeout: cut,
  });
}

function bytesWritten(session: http2.ServerHttp2Session): number {
  return (session.socket as { bytesWritten?: number } | undefined)?.bytesWritten ?? 0;
}

/**
 * GOAWAY ENHANCE_YOUR_CALM with debug data "too_many_pings", then the
 * connection is closed, calls in flight and all (grpc-go does the same).
 */
function tooManyPings(session: http2.ServerHttp2Session, cut: () => void): void {
  if (session.destroyed) return;
  try {
    session.goaway(NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from("too_many_pings"));
  } catch {
    // Closing already.
  }
  // Let the GOAWAY go out first.
  setImmediate(cut);
}

/**
 * Drops a connection as grpc-go does when it gives up on one: the socket is
 * closed, with no RST_STREAM per call (Node's `session.destroy()` would
 * reset each stream with the GOAWAY's code, which clients read as
 * RESOURCE_EXHAUSTED or UNKNOWN); clients see the connection go, and fail
 * its calls with UNAVAILABLE.
 */
function cutConnection(session: http2.ServerHttp2Session, socket: Duplex | undefined): void {
  if (socket !== undefined && !socket.destroyed) socket.destroy();
  else session.destroy();
}

/**
 * Graceful GOAWAY in two steps, as grpc-go drains: a first GOAWAY that
 * refuses nothing tells the client to stop opening streams here; once a ping
 * has made the round trip (so no stream the client opened before it is still
 * on the way), the real GOAWAY and close, which lets the calls in flight end.
 */
function drain(session: http2.ServerHttp2Session, reason: string): void {
  if (session.closed || session.destroyed) return;
  try {
    session.goaway(NGHTTP2_NO_ERROR, MAX_STREAM_ID, Buffer.from(reason));
    if (session.ping(() => session.close())) return;
  } catch {
    // Destroyed meanwhile: close() below does nothing then.
  }
  session.close();
}
