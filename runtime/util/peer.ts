import type { Socket } from "node:net";

/** The remote end of a connection as `host:port` (`[v6]:port` for IPv6), or "unknown" once the socket is gone. */
export function remoteAddress(socket: Socket | undefined): string {
  if (socket === undefined) return "unknown";
  const address = socket.remoteAddress ?? "unknown";
  return address.includes(":") ? `[${address}]:${socket.remotePort}` : `${address}:${socket.remotePort}`;
}
