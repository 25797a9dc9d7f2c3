// Several real servers on 127.0.0.1 for the connection tests: each Greeter says which server answered.
import { Server, type ServerCall } from "tsgrpc";
import { GreeterBase } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { sleep } from "../runtime/harness.js";

/**
 * A Greeter labelled with its server's name: SayHello answers `<label>`, LotsOfReplies sends `count` replies
 * `name` ms apart (count 0: until cancelled), the streaming-request methods answer with the label and the names.
 */
export class LabelledGreeter extends GreeterBase {
  calls = 0;
  constructor(readonly label: string) {
    super();
  }
  async sayHello(_request: HelloRequest, _call: ServerCall) {
    this.calls++;
    return { message: this.label };
  }
  async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    this.calls++;
    for (let i = 1; request.count === 0 || i <= request.count; i++) {
      if (call.signal.aborted) return;
      await sleep(Number(request.name) || 0);
      yield { message: `${this.label}#${i}` };
    }
  }
  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>) {
    this.calls++;
    const names: string[] = [];
    for await (const request of requests) names.push(request.name);
    return { message: `${this.label}:${names.join(",")}` };
  }
  async *bidiHello(requests: AsyncIterable<HelloRequest>) {
    this.calls++;
    for await (const request of requests) yield { message: `${this.label}:${request.name}` };
  }
}

/** One labelled server, which can be killed and started again on the same port. */
export class TestServer {
  greeter: LabelledGreeter;
  server: Server;
  port = 0;
  constructor(readonly label: string) {
    this.greeter = new LabelledGreeter(label);
    this.server = new Server().add(this.greeter);
  }
  async start(port = this.port): Promise<this> {
    this.server = new Server().add(this.greeter);
    this.port = (await this.server.listen({ host: "127.0.0.1", port })).port;
    return this;
  }
  /** Kills it: every call in flight ends, every connection drops. */
  kill(): Promise<void> {
    return this.server.forceClose();
  }
}

/** `n` servers labelled s0, s1, ...; `await using` kills them all. */
export async function startServers(n: number): Promise<TestServer[] & AsyncDisposable> {
  const servers = await Promise.all(Array.from({ length: n }, (_, i) => new TestServer(`s${i}`).start()));
  return Object.assign(servers, {
    async [Symbol.asyncDispose]() {
      await Promise.all(servers.map((s) => s.kill()));
    },
  });
}

/** The `ipv4:` target of the servers. */
export function ipv4Target(servers: readonly TestServer[]): string {
  return `ipv4:${servers.map((s) => `127.0.0.1:${s.port}`).join(",")}`;
}
