// A TCP proxy on 127.0.0.1 that can stop forwarding, in both directions, on the connections it
// holds: to the peers at either end it looks like the network died (nothing is closed, nothing is
// answered), which is what keepalive must detect.
import * as net from "node:net";

export interface PausableProxy extends AsyncDisposable {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Stops forwarding on every open connection (new ones still work). */
  pause(): void;
}

export async function startProxy(targetPort: number): Promise<PausableProxy> {
  const pairs: Array<[net.Socket, net.Socket]> = [];
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(targetPort, "127.0.0.1");
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    pause() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    async [Symbol.asyncDispose]() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
