// tsgrpc echo server for the bench contract (bench/README.md): the generated
// EchoServiceBase, written the way a user would, on `Server` from "tsgrpc".
import { Server } from "tsgrpc";
import { EchoServiceBase } from "../../../examples/gen/bench/v1/echo_grpc.js";
import type { Payload, StreamRequest } from "../../../examples/gen/bench/v1/echo_pb.js";

class EchoService extends EchoServiceBase {
  async unary(request: Payload) {
    return { data: request.data };
  }

  async *serverStream(request: StreamRequest) {
    const reply = { data: new Uint8Array(request.size) };
    for (let i = 0; i < request.count; i++) yield reply;
  }

  async clientStream(requests: AsyncIterable<Payload>) {
    let last: Payload | undefined;
    for await (const request of requests) last = request;
    return last ?? {};
  }

  async *bidi(requests: AsyncIterable<Payload>) {
    for await (const request of requests) yield request;
  }
}

const server = new Server().add(new EchoService());
await server.listen({ host: process.env.HOST ?? "127.0.0.1", port: Number(process.env.PORT ?? 50051) });
process.stdout.write("READY\n");
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
