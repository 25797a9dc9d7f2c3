import type * as http2 from "node:http2";
import type { Duplex } from "node:stream";
import { connect, type ChannelTlsOptions } from "./connect.js";
import type { ClientKeepalive } from "./keepalive.js";
import type { Address } from "./target.js";

/** What every connection of a channel is opened with. @internal */
export interface SessionOptions {
  /** The `:authority` of the calls: the target's host:port (`localhost` for UNIX sockets). */
  readonly authority: string;
  /** node:http2 options (settings, header limits). */
  readonly http2: http2.ClientSessionOptions;
  /** The channel's own `createConnection` (in-memory connections), used instead of a socket. */
  readonly createConnection?: ((url: URL) => Duplex) | undefined;
  /** TLS, or undefined for plain text (h2c). */
  readonly tls?: ChannelTlsOptions | undefined;
  /** The channel's keepalive (A8), if on. */
  readonly keepalive?: ClientKeepalive | undefined;
  /** The connection's receive window. */
  readonly connectionWindowSize?: number | undefined;
  /** Whether calls are in flight on a session (keepalive pings only then, unless permitted without). */
  readonly hasCalls?: ((session: http2.ClientHttp2Session) => boolean) | undefined;
}

/**
 * Opens one HTTP/2 connection to `address`. This is the channel's one
 * connect step: the subchannel calls it and watches the session it returns.
 * The socket goes to the resolved address, while `:authority` (and, over
 * TLS, the name the certificate is checked against) stays the target's name.
 * connect.ts does the work: TCP or UNIX socket, plain text or TLS, the
 * connection window, keepalive.
 * @internal
 */
export function openSession(address: Address, options: SessionOptions): http2.ClientHttp2Session {
  return connect(address, {
    authority: options.authority,
    session: options.http2,
    createConnection: options.createConnection,
    tls: options.tls,
    keepalive: options.keepalive,
    connectionWindowSize: options.connectionWindowSize,
    hasCalls: options.hasCalls,
  });
}
