// channelFor(): a real client and a real server joined in memory (HTTP/2 and gRPC framing, no socket).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, GrpcError, InMemoryChannel, Metadata, Server, Status, channelFor, type ServerCall } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { Greeter, type HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { sleep } from "../runtime/harness.js";

/** The example Greeter, recording what its unary handler saw. */
class RecordingGreeter extends GreeterService {
  seen: { peer?: string; userAgent?: string; metadata?: Metadata } = {};
  override async sayHello(request: HelloRequest, call: ServerCall) {
    this.seen = { peer: call.peer, userAgent: call.userAgent, metadata: call.metadata };
    if (request.name === "big") return { message: "y".repeat(6 * 1024 * 1024) };
    if (request.name.length > 1000) return { message: `got ${request.name.length} chars` };
    return super.sayHello(request, call);
  }
}

/** Names of the active handles that are network sockets or servers. */
function sockets(): string[] {
  return process.getActiveResourcesInfo().filter((name) => /TCP|Pipe|UDP/.test(name));
}

describe("channelFor", () => {
  it("serves all four kinds over an in-memory connection, with metadata both ways", async () => {
    await using channel = channelFor([new GreeterService()]);
    const greeter = new GreeterClient(channel, { timeout: 5_000 });
    let trailers: Metadata | undefined;
    const reply = await greeter.sayHello({ name: "Ada" }, { onTrailer: (t) => (trailers = t) });
    assert.equal(reply.message, "Hello, Ada!");
    assert.equal(trailers?.get("x-served-by"), "tsgrpc-example");
    const replies: string[] = [];
    for await (const r of greeter.lotsOfReplies({ name: "Grace", count: 3 })) replies.push(r.message);
    assert.deepEqual(replies, ["Hello #1, Grace!", "Hello #2, Grace!", "Hello #3, Grace!"]);
    assert.equal((await greeter.lotsOfGreetings([{ name: "Alan" }, { name: "Barbara" }])).message, "Hello, Alan and Barbara!");
    const chat: string[] = [];
    for await (const r of greeter.bidiHello([{ name: "Linus" }, { name: "Ken" }])) chat.push(r.message);
    assert.deepEqual(chat, ["Hi Linus, nice to meet you.", "Hi Ken, nice to meet you."]);
  });

  it("opens no socket", async () => {
    const before = sockets();
    await using channel = channelFor([new GreeterService()]);
    const call = new GreeterClient(channel).open.bidiHello();
    await call.send({ name: "a" });
    assert.equal((await call.receive())?.message, "Hi a, nice to meet you.");
    assert.deepEqual(sockets(), before);
    call.end();
    await call.status;
  });

  it("the handler sees peer in-memory:<connection>, the client's user-agent and metadata", async () => {
    const greeter = new RecordingGreeter();
    await using channel = channelFor([greeter], { channel: { userAgent: "my-test/1.0" } });
    await new GreeterClient(channel).sayHello({ name: "x" }, { metadata: { "x-trace": "t1" } });
    assert.equal(greeter.seen.peer, "in-memory:1");
    assert.match(greeter.seen.userAgent ?? "", /^my-test\/1\.0 tsgrpc-node\//);
    assert.equal(greeter.seen.metadata?.get("x-trace"), "t1");
  });

  it("moves messages larger than every HTTP/2 window, both ways, with the limits raised", async () => {
    const greeter = new RecordingGreeter();
    await using channel = channelFor([greeter], {
      server: { maxReceiveMessageSize: 16 * 1024 * 1024 },
      channel: { maxReceiveMessageSize: 16 * 1024 * 1024 },
    });
    const client = new GreeterClient(channel);
    assert.equal((await client.sayHello({ name: "big" })).message.length, 6 * 1024 * 1024);
    assert.equal((await client.sayHello({ name: "z".repeat(5 * 1024 * 1024) })).message, `got ${5 * 1024 * 1024} chars`);
    // The default 4 MiB receive limit still applies on a channel without the option.
    await using small = channelFor([greeter]);
    await assert.rejects(new GreeterClient(small).sayHello({ name: "big" }), (e: unknown) => e instanceof GrpcError && e.code === Status.RESOURCE_EXHAUSTED);
  });

  it("takes a Server built elsewhere (plain-object handlers here); it need not listen", async () => {
    const server = new Server().add(Greeter, { sayHello: async (request) => ({ message: `plain ${request.name}` }) });
    await using channel = channelFor(server);
    assert.ok(channel instanceof InMemoryChannel && channel instanceof Channel);
    assert.equal(channel.server, server);
    assert.equal((await new GreeterClient(channel).sayHello({ name: "p" })).message, "plain p");
    await assert.rejects(new GreeterClient(channel).lotsOfGreetings([]), (e: unknown) => e instanceof GrpcError && e.code === Status.UNIMPLEMENTED);
  });

  it("await using closes the channel and the server; a call still running ends with UNAVAILABLE", async () => {
    let aborted: unknown;
    const server = new Server().add(Greeter, {
      async *lotsOfReplies(_request, call) {
        yield { message: "first" };
        await new Promise<void>((resolve) => call.signal.addEventListener("abort", () => resolve()));
        aborted = call.signal.reason;
      },
    });
    let stream;
    {
      await using channel = channelFor(server);
      stream = new GreeterClient(channel).lotsOfReplies({ name: "n" });
      const iterator = stream[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).value?.message, "first");
    }
    assert.equal((await stream.status).code, Status.UNAVAILABLE);
    assert.ok(server.signal.aborted);
    assert.ok(aborted instanceof GrpcError && aborted.code === Status.UNAVAILABLE);
  });

  it("a server that has closed refuses new in-memory connections: UNAVAILABLE", async () => {
    await using channel = channelFor([new GreeterService()]);
    await channel.server.close();
    const error = await new GreeterClient(channel).sayHello({ name: "late" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
  });

  it("each reconnection is a new in-memory connection", async () => {
    const greeter = new RecordingGreeter();
    await using channel = channelFor([greeter]);
    const client = new GreeterClient(channel);
    await client.sayHello({ name: "1" });
    assert.equal(greeter.seen.peer, "in-memory:1");
    // Drop the connection from the client side; the next call reconnects.
    channel.session().destroy();
    await sleep(10);
    await client.sayHello({ name: "2" });
    assert.equal(greeter.seen.peer, "in-memory:2");
  });
});
