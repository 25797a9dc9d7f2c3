import * as http2 from "node:http2";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import type { Address } from "./target.js";

/** What every connection of a channel is opened with. @internal */
export interface SessionOptions {
  /** The `:authority` of the calls: the target's host:port (`localhost` for UNIX sockets). */
  readonly authority: string;
  /** node:http2 options (settings, header limits). */
  readonly http2: http2.ClientSessionOptions;
  /** The channel's own `createConnection` (in-memory connections), used instead of a socket. */
  readonly createConnection?: ((url: URL) => Duplex) | undefined;
}

/**
 * Opens one HTTP/2 connection (h2c) to `address`. This is the channel's one
 * connect step: the subchannel calls it and watches the session it returns.
 * The socket goes to the resolved address, while `:authority` stays the
 * target's name.
 * @internal
 */
export function openSession(address: Address, options: SessionOptions): http2.ClientHttp2Session {
  const url = `http://${"path" in address ? "localhost" : options.authority}`;
  const createConnection =
    options.createConnection ??
    ("path" in address ? () => net.connect(address.path) : () => net.connect({ host: address.host, port: address.port }));
  return http2.connect(url, { ...options.http2, createConnection });
}
