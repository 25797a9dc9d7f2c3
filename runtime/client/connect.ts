import * as http2 from "node:http2";
import { isIP, connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import type { ClientKeepalive, KeepaliveOptions } from "./keepalive.js";

/**
 * TLS for a channel: the server's certificate is verified against `ca` (or
 * Node's bundled Mozilla roots) and the server name; ALPN offers `h2` only.
 */
export interface ChannelTlsOptions {
  /** Trusted root certificates, PEM. Default: Node's bundled Mozilla roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The client's certificate chain, PEM, for servers that require one (mTLS). */
  cert?: string | Buffer;
  /** The private key of `cert`, PEM. */
  key?: string | Buffer;
  /**
   * The name the server's certificate is checked against, sent as SNI and
   * used as `:authority`, instead of the target's host (gRPC's
   * `ssl_target_name_override`; tests use it to reach a server by IP).
   */
  serverName?: string;
}

/** The channel options about its connections: security, keepalive and flow-control windows. */
export interface ChannelConnectionOptions {
  /**
   * Connect over TLS (also implied by an `https://` target). Plain-text
   * HTTP/2 (h2c) is the default. A handshake that fails (an untrusted or
   * mismatched certificate, a missing client certificate) fails the calls
   * with UNAVAILABLE and a message that says "TLS handshake ... failed" and why.
   */
  tls?: ChannelTlsOptions;
  /** Keepalive pings (gRPC A8); off by default. */
  keepalive?: KeepaliveOptions;
  /**
   * The connection's receive window (HTTP/2 flow control for all streams
   * together), in bytes. Default 4 MiB (as grpclib).
   */
  connectionWindowSize?: number;
  /**
   * Each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE), in bytes;
   * same as `http2Settings.initialWindowSize`. Default 4 MiB (as grpclib).
   */
  streamWindowSize?: number;
}

/** Where to connect: a TCP host and port, or a UNIX socket path. */
export type ConnectAddress = { host: string; port: number } | { path: string };

/** What `connect` needs besides the address. @internal */
export interface ConnectParams {
  /**
   * The `:authority` of the calls, `host[:port]` (the target's name, while the
   * socket goes to a resolved address); over TLS its host is also the name the
   * certificate is checked against. Default: the address.
   */
  authority?: string | undefined;
  /** Options of `http2.connect` (settings, limits). */
  session: http2.ClientSessionOptions;
  /** TLS, or undefined for plain text. */
  tls?: ChannelTlsOptions | undefined;
  connectionWindowSize?: number | undefined;
  keepalive?: ClientKeepalive | undefined;
  /** Whether calls are in flight on the session (keepalive without calls is optional). */
  hasCalls?: ((session: http2.ClientHttp2Session) => boolean) | undefined;
  /** Opens the byte stream instead of a socket (in-memory connections). */
  createConnection?: ((url: URL) => Duplex) | undefined;
}

/**
 * Opens one HTTP/2 connection: TCP or a UNIX socket, plain text or TLS
 * (ALPN h2), with the connection window set and keepalive attached.
 * The session is returned at once; it connects in the background and
 * reports failures as its "error" event (TLS ones say "TLS handshake").
 * @internal
 */
export function connect(address: ConnectAddress, params: ConnectParams): http2.ClientHttp2Session {
  const secure = params.tls !== undefined;
  const target = params.authority ?? ("path" in address ? "localhost" : hostPort(address.host, address.port));
  const port = /:(\d+)$/.exec(target)?.[1];
  // gRPC's ssl_target_name_override: the override is the authority too.
  const serverName = params.tls?.serverName ?? target.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  const authority = params.tls?.serverName === undefined ? target : port === undefined ? serverName : `${hostPort(serverName, Number(port))}`;
  const url = `${secure ? "https" : "http"}://${authority}`;
  const options: http2.ClientSessionOptions = { ...params.session };
  const custom = params.createConnection;
  if (custom !== undefined) options.createConnection = () => custom(new URL(url));
  else {
    const tlsOptions = params.tls;
    options.createConnection = () => {
      const socket =
        tlsOptions !== undefined ? connectTls(address, tlsOptions, serverName) : netConnect("path" in address ? { path: address.path } : { host: address.host, port: address.port });
      // A server that closes the connection before its HTTP/2 SETTINGS arrive is not talking to us:
      // say what that likely means rather than "connection closed".
      socket.once("end", () => {
        if (!started) socket.destroy(new Error(notStartedMessage(address, tlsOptions !== undefined)));
      });
      // Node 20: a socket error (a TLS alert after the handshake, say) marks the session destroyed but
      // leaves the socket open, and the session then never emits "error" or "close" (nor does anything
      // learn the connection failed). Closing the socket once Node has seen the error completes that.
      socket.on("error", () =>
        process.nextTick(() => {
          if (!socket.destroyed) socket.destroy();
        }),
      );
      return socket;
    };
  }
  let started = false;
  const session = http2.connect(url, options);
  session.once("remoteSettings", () => (started = true));
  const windowSize = params.connectionWindowSize;
  if (windowSize !== undefined) {
    session.once("connect", () => {
      if (!session.destroyed) session.setLocalWindowSize(windowSize);
    });
  }
  const hasCalls = params.hasCalls;
  params.keepalive?.attach(session, () => hasCalls?.(session) ?? true);
  return session;
}

/**
 * A TLS socket offering ALPN h2, whose errors say they come from TLS: a
 * handshake error (or a TLS alert, like a server's "certificate required")
 * gets "TLS handshake with HOST failed: " in front, and a server that does
 * not pick h2 is an error too.
 */
function connectTls(address: ConnectAddress, options: ChannelTlsOptions, serverName: string): tls.TLSSocket {
  const where = describe(address);
  const socket = tls.connect({
    ...("path" in address ? { path: address.path } : { host: address.host, port: address.port }),
    // RFC 6066 forbids an IP address as SNI; the certificate is still checked against it.
    ...(isIP(serverName) === 0 ? { servername: serverName } : {}),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(serverName, cert),
    ALPNProtocols: ["h2"],
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.cert !== undefined ? { cert: options.cert } : {}),
    ...(options.key !== undefined ? { key: options.key } : {}),
  });
  let secure = false;
  socket.prependListener("error", (error: Error & { code?: string }) => {
    if (secure && !String(error.code).startsWith("ERR_SSL_")) return;
    const code = error.code !== undefined && !error.message.includes(error.code) ? ` (${error.code})` : "";
    error.message = `TLS handshake with ${where} failed: ${error.message}${code}`;
  });
  socket.once("secureConnect", () => {
    secure = true;
    if (socket.alpnProtocol === "h2") return;
    const error = new Error(`TLS handshake with ${where} failed: the server did not agree to HTTP/2 (ALPN h2; it chose ${socket.alpnProtocol || "nothing"})`);
    // Not now: node:http2 sets the session up in its own "secureConnect" listener, after this one,
    // and Node 20 aborts the process (a native assertion) when the socket is destroyed before that.
    process.nextTick(() => socket.destroy(error));
  });
  return socket;
}

/** Why a connection the server closed before HTTP/2 started probably failed. */
function notStartedMessage(address: ConnectAddress, secure: boolean): string {
  const where = describe(address);
  return secure
    ? // Node's servers reject a client certificate after a TLS 1.3 handshake without an alert: they just close.
      `TLS handshake with ${where} failed: the server closed the connection before HTTP/2 started (did it reject the client certificate?)`
    : `the server at ${where} closed the connection before HTTP/2 started (a TLS server? then connect with the tls option or an https:// target)`;
}

/** `host:port` or the socket path. */
function describe(address: ConnectAddress): string {
  return "path" in address ? address.path : hostPort(address.host, address.port);
}

/** `host:port`, with brackets for an IPv6 host. */
function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}
