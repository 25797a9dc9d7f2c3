import { Channel, type ChannelOptions } from "../client/channel.js";
import { Server, type ServerOptions } from "../server/server.js";
import type { ServiceImplementation } from "../service/service-implementation.js";
import { duplexPair } from "./duplex-pair.js";

/** Options of `channelFor()`. */
export interface ChannelForOptions {
  /** Options of the server made for `services` (ignored when a Server is given). */
  server?: ServerOptions;
  /** Options of the channel (`createConnection` is set by `channelFor`). */
  channel?: Omit<ChannelOptions, "createConnection">;
}

/**
 * A Channel joined to a real Server in memory; disposing it (`await using`)
 * closes both.
 */
export class InMemoryChannel extends Channel {
  /** The server at the other end. */
  readonly server: Server;

  /** @internal */
  constructor(server: Server, options: ChannelOptions) {
    super("in-memory:0", options);
    this.server = server;
  }

  /** Closes the channel and the server; calls still in flight end with UNAVAILABLE. */
  override async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([this.close(), this.server.forceClose()]);
  }
}

/**
 * A client channel and a server joined by an in-memory connection, like
 * grpclib's `ChannelFor`: real HTTP/2 and real gRPC framing, no socket and no
 * port. Every connection the channel opens is a new duplex pair the server
 * accepts, so reconnecting after a GOAWAY works as over TCP. `call.peer` on
 * the server reads `in-memory:<n>`, `n` counting the connections.
 *
 * ```ts
 * await using channel = channelFor([new GreeterService()]);
 * const reply = await new GreeterClient(channel).sayHello({ name: "test" });
 * ```
 *
 * Pass a Server instead of services to use one you built (with health or
 * reflection, say); it need not listen.
 */
export function channelFor(services: Server | Iterable<ServiceImplementation>, options: ChannelForOptions = {}): InMemoryChannel {
  let server: Server;
  if (services instanceof Server) {
    server = services;
  } else {
    server = new Server(options.server);
    for (const service of services) server.add(service);
  }
  let connections = 0;
  return new InMemoryChannel(server, {
    ...options.channel,
    createConnection: () => {
      const [clientSide, serverSide] = duplexPair();
      server.acceptConnection(serverSide, { address: "in-memory", port: ++connections });
      return clientSide;
    },
  });
}
