import type { Socket } from "node:net";
import type { PeerCertificate } from "node:tls";

/**
 * The remote end of a connection as `host:port` (`[v6]:port` for IPv6),
 * `unix:` for a UNIX socket (whose client end has no name), or "unknown"
 * once the socket is gone.
 */
export function remoteAddress(socket: Socket | undefined): string {
  if (socket === undefined) return "unknown";
  const address = socket.remoteAddress;
  if (address === undefined) return socket.remotePort === undefined && !socket.destroyed ? "unix:" : "unknown";
  return address.includes(":") ? `[${address}]:${socket.remotePort}` : `${address}:${socket.remotePort}`;
}

/** The peer's TLS certificate, when the connection is TLS and the peer sent one. */
export function peerCertificate(socket: object | undefined): PeerCertificate | undefined {
  const tlsSocket = socket as { getPeerCertificate?: () => PeerCertificate | Record<string, never> | null } | undefined;
  if (typeof tlsSocket?.getPeerCertificate !== "function") return undefined;
  const certificate = tlsSocket.getPeerCertificate();
  // Node returns an empty object (or null) when the peer sent no certificate.
  return certificate === null || !("raw" in certificate) ? undefined : (certificate as PeerCertificate);
}
