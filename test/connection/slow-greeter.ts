// A Greeter whose LotsOfReplies takes as long as asked, served on 127.0.0.1, and the ready connection of a
// channel, for connection tests.
import type { ClientHttp2Session } from "node:http2";
import { type Channel, ConnectivityState, Server, type ServerCall, type ServerOptions } from "tsgrpc";
import { eventually } from "../runtime/harness.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";

/** LotsOfReplies sends "first", waits `count` ms (or until the call ends) and sends "last". */
export class Slow extends GreeterService {
  /** When handlers saw their call's signal abort. */
  readonly aborted: number[] = [];
  /** LotsOfReplies calls running now, and the most at once. */
  running = 0;
  peak = 0;
  override async *lotsOfReplies(request: HelloRequest, call?: ServerCall) {
    this.peak = Math.max(this.peak, ++this.running);
    try {
      yield* this.#slow(request, call);
    } finally {
      this.running--;
    }
  }

  async *#slow(request: HelloRequest, call?: ServerCall) {
    yield { message: "first" };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, request.count);
      call?.signal.addEventListener("abort", () => {
        this.aborted.push(Date.now());
        clearTimeout(timer);
        resolve();
      });
    });
    yield { message: "last" };
  }
}

/** Serves a Slow greeter on 127.0.0.1; `await using` force-closes the server. */
export async function serve(options: ServerOptions = {}) {
  const service = new Slow();
  const server = new Server(options).add(service);
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  return { server, service, port, [Symbol.asyncDispose]: () => server.forceClose() };
}

/** Reads a LotsOfReplies call to the end; resolves with the messages. */
export async function readAll(replies: AsyncIterable<{ message: string }>): Promise<string[]> {
  const messages = [];
  for await (const reply of replies) messages.push(reply.message);
  return messages;
}

/** The channel's connection once it is READY (connecting it if it is IDLE). */
export async function readySession(channel: Channel): Promise<ClientHttp2Session> {
  channel.getState(true);
  await eventually(() => channel.state === ConnectivityState.READY, 5_000, "a ready connection");
  return channel.session();
}
