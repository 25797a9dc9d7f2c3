// call.peer and call.userAgent as seen by handlers, with our client and a grpc-js client over TCP
// (buf curl's are checked in buf-curl.test.ts, the in-memory channel's in in-memory.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, Server, type ServerCall } from "tsgrpc";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { grpcJsGreeterClient } from "./grpc-js-greeter.js";

class Recording extends GreeterService {
  seen: Array<{ peer: string; userAgent: string | undefined }> = [];
  override async sayHello(request: HelloRequest, call: ServerCall) {
    this.seen.push({ peer: call.peer, userAgent: call.userAgent });
    return super.sayHello(request, call);
  }
}

describe("peer and user-agent", () => {
  it("our client: the connection's own address and port, and tsgrpc's user-agent after the channel's", async () => {
    const greeter = new Recording();
    await using server = new Server().add(greeter);
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    await using channel = new Channel(`127.0.0.1:${port}`, { userAgent: "inventory/2.1" });
    await new GreeterClient(channel).sayHello({ name: "a" });
    const socket = channel.session().socket;
    assert.deepEqual(greeter.seen, [{ peer: `127.0.0.1:${socket.localPort}`, userAgent: "inventory/2.1 tsgrpc-node/0.1.0" }]);
  });

  it("a grpc-js client: its address and port, and grpc-js's user-agent", async () => {
    const greeter = new Recording();
    await using server = new Server().add(greeter);
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const client = grpcJsGreeterClient(`127.0.0.1:${port}`, { "grpc.primary_user_agent": "inventory/2.1" });
    try {
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve, reject) => client.SayHello({ name: "b" }, (error: Error | null) => (error ? reject(error) : resolve())));
      }
    } finally {
      client.close();
    }
    assert.equal(greeter.seen.length, 2);
    const [first, second] = greeter.seen;
    assert.match(first!.peer, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(first!.peer, `127.0.0.1:${port}`);
    assert.equal(second!.peer, first!.peer, "one connection for both calls");
    assert.match(first!.userAgent ?? "", /^inventory\/2\.1 grpc-node-js\/1\.14\.7$/);
  });
});
