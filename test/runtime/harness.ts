import { Channel, Server, type ServerOptions, type ChannelOptions } from "tsgrpc";
import type { ServiceImplementation } from "tsgrpc";

/** A server on 127.0.0.1 with one service, and a channel to it; `await using` closes both. */
export async function startPair(
  service: ServiceImplementation,
  serverOptions?: ServerOptions,
  channelOptions?: ChannelOptions,
): Promise<{ server: Server; channel: Channel; port: number } & AsyncDisposable> {
  const server = new Server(serverOptions).add(service);
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  const channel = new Channel(`127.0.0.1:${port}`, channelOptions);
  return {
    server,
    channel,
    port,
    async [Symbol.asyncDispose]() {
      await channel.close();
      await server.forceClose();
    },
  };
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, failing after `ms`. */
export async function eventually(check: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
