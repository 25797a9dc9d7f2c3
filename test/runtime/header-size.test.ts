// The header list size limit (SETTINGS_MAX_HEADER_LIST_SIZE) on both sides, over real HTTP/2.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { Channel, GrpcError, Status, type ServerCall } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { startPair } from "./harness.js";

/** Answers with its name; `trailer:<n>` / `header:<n>` add n bytes of response metadata. */
class SizedGreeter extends GreeterBase {
  async sayHello(request: HelloRequest, call: ServerCall) {
    const [kind, size] = request.name.split(":");
    if (kind === "trailer") call.trailer.set("x-big", "t".repeat(Number(size)));
    if (kind === "header") call.header.set("x-big", "h".repeat(Number(size)));
    if (kind === "error") throw new GrpcError(Status.NOT_FOUND, "e".repeat(Number(size)));
    return { message: request.name };
  }
  async *lotsOfReplies() {}
  async lotsOfGreetings() {
    return {};
  }
  async *bidiHello() {}
}

const metadata = (bytes: number) => ({ "x-big": "m".repeat(bytes) });

async function failure(call: Promise<unknown>): Promise<GrpcError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof GrpcError, `expected a GrpcError, got ${String(error)}`);
  return error;
}

describe("request headers over the server's limit", () => {
  it("fail with INTERNAL naming the limit, on the first call of a connection and on later ones", async () => {
    await using pair = await startPair(new SizedGreeter(), { maxHeaderListSize: 8 * 1024 });
    const client = new GreeterClient(pair.channel);
    // First call: the server's SETTINGS have not arrived when the request goes out; its reset is explained.
    const first = await failure(client.sayHello({ name: "x" }, { metadata: metadata(10_000) }));
    assert.equal(first.code, Status.INTERNAL, first.message);
    assert.match(first.message, /header list size to send violates the maximum size \(8192 bytes\) set by server: the request's headers and metadata are \d+ bytes/);
    // Now the limit is known: the call fails before anything is sent.
    const second = await failure(client.sayHello({ name: "x" }, { metadata: metadata(10_000) }));
    assert.equal(second.code, Status.INTERNAL);
    assert.match(second.message, /\(8192 bytes\) set by server/);
    // Under the limit, and the connection is still good.
    assert.equal((await client.sayHello({ name: "ok" }, { metadata: metadata(6_000) })).message, "ok");
  });

  it("the default limit is 64 KiB", async () => {
    await using pair = await startPair(new SizedGreeter());
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "warm-up" })).message, "warm-up");
    assert.equal((await client.sayHello({ name: "ok" }, { metadata: metadata(60_000) })).message, "ok");
    const error = await failure(client.sayHello({ name: "x" }, { metadata: metadata(70_000) }));
    assert.equal(error.code, Status.INTERNAL);
    assert.match(error.message, /\(65536 bytes\) set by server/);
  });

  it("many small entries count by bytes, not by node's 128-field default", async () => {
    await using pair = await startPair(new SizedGreeter());
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-k${i}`, "v"]));
    assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "ok" }, { metadata: many })).message, "ok");
  });

  it("a raw client that ignores the limit gets RST_STREAM(ENHANCE_YOUR_CALM), and the server keeps serving", async () => {
    await using pair = await startPair(new SizedGreeter(), { maxHeaderListSize: 4096 });
    const session = http2.connect(`http://127.0.0.1:${pair.port}`, { maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER });
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/greeter.v1.Greeter/SayHello",
        "content-type": "application/grpc",
        te: "trailers",
        "x-big": "r".repeat(20_000),
      });
      stream.on("error", () => {});
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
      await new Promise((resolve) => stream.on("close", resolve));
      assert.equal(stream.rstCode, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      assert.equal(session.destroyed, false, "the connection survives");
    } finally {
      session.close();
    }
    assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "still up" })).message, "still up");
  });
});

describe("response headers over the client's limit", () => {
  it("trailers: the server sends INTERNAL naming both sizes instead", async () => {
    await using pair = await startPair(new SizedGreeter(), {}, { maxHeaderListSize: 4096 });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "warm-up" })).message, "warm-up");
    const error = await failure(client.sayHello({ name: "trailer:8000" }));
    assert.equal(error.code, Status.INTERNAL);
    assert.match(error.message, /response trailers exceed the client's header list size limit \(\d+ vs\. 4096 bytes\)/);
    const big = await failure(client.sayHello({ name: "error:8000" }));
    assert.equal(big.code, Status.INTERNAL);
    assert.match(big.message, /exceed the client's header list size limit/);
    // Under the limit, as usual.
    assert.equal((await client.sayHello({ name: "trailer:1000" })).message, "trailer:1000");
  });

  it("headers: the call fails with INTERNAL naming both sizes", async () => {
    await using pair = await startPair(new SizedGreeter(), {}, { maxHeaderListSize: 4096 });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "warm-up" })).message, "warm-up");
    const error = await failure(client.sayHello({ name: "header:8000" }));
    assert.equal(error.code, Status.INTERNAL);
    assert.match(error.message, /response header list size exceeds the client's limit \(\d+ vs\. 4096 bytes\)/);
  });

  it("a server that ignores the limit: our client resets the stream and reports RESOURCE_EXHAUSTED", async () => {
    const server = http2.createServer({ maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER });
    let calls = 0;
    server.on("stream", (stream) => {
      stream.on("error", () => {});
      stream.resume();
      // The first call's stream opens before the client's SETTINGS are acknowledged, when node:http2 does
      // not enforce them yet: the oversized answer goes to the second.
      const big = ++calls > 1 ? { "x-big": "s".repeat(20_000) } : {};
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", ...big }, { endStream: true });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      await using channel = new Channel(`127.0.0.1:${(server.address() as AddressInfo).port}`, { maxHeaderListSize: 4096 });
      const client = new GreeterClient(channel);
      assert.equal((await failure(client.sayHello({ name: "x" }))).code, Status.NOT_FOUND);
      const error = await failure(client.sayHello({ name: "x" }));
      assert.equal(error.code, Status.RESOURCE_EXHAUSTED, error.message);
      assert.match(error.message, /ENHANCE_YOUR_CALM/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
