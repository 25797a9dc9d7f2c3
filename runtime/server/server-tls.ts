import type * as http2 from "node:http2";

/**
 * TLS for a server: its certificate and key, and for mutual TLS the roots
 * that client certificates must chain to. ALPN offers `h2` only (gRPC needs
 * HTTP/2; a client that cannot speak it is dropped during the handshake).
 */
export interface ServerTlsOptions {
  /** The server's private key, PEM. */
  key: string | Buffer;
  /** The server's certificate chain, PEM. */
  cert: string | Buffer;
  /**
   * Roots that client certificates are verified against, PEM (default:
   * Node's bundled Mozilla roots). Only used with `requireClientCert`.
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Mutual TLS: a client must present a certificate that chains to `ca`, or
   * the handshake fails. Handlers read it as `call.peerCertificate`.
   * Default false.
   */
  requireClientCert?: boolean;
}

/** The `http2.createSecureServer` options for `tls`. @internal */
export function secureServerOptions(tls: ServerTlsOptions): http2.SecureServerOptions {
  const requireClientCert = tls.requireClientCert ?? false;
  return {
    key: tls.key,
    cert: tls.cert,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
    ALPNProtocols: ["h2"],
    allowHTTP1: false,
  };
}
