// Compression (doc/compression.md) over real HTTP/2: our client and server both ways, raw node:http2 peers for
// what a well-behaved peer never sends, and grpc-js both ways.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import * as zlib from "node:zlib";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Channel, GrpcError, Server, Status, type Compression, type ServerCall } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { Greeter, HelloReplySchema, HelloRequestSchema, type HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { assertQuotedInReadme, startPair } from "./harness.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Echoes names back and records, per request, whether it arrived compressed and how the request was
 * encoded. A request name `compress:<encoding>` makes the handler pick that response encoding; in a
 * stream, `plain` sends that one response uncompressed.
 */
class RecordingGreeter extends GreeterBase {
  readonly seen: Array<{ size: number; compressed: boolean; encoding: string }> = [];

  #record(request: HelloRequest, call: ServerCall): void {
    this.seen.push({ size: request.name.length, compressed: call.wasCompressed(request), encoding: call.requestEncoding });
  }

  async sayHello(request: HelloRequest, call: ServerCall) {
    this.#record(request, call);
    const pick = /^compress:(\w+)/.exec(request.name);
    if (pick !== null) call.setCompression(pick[1] as Compression);
    return { message: request.name };
  }

  async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    this.#record(request, call);
    for (let i = 0; i < request.count; i++) yield { message: `${i}:${request.name}` };
  }

  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>, call: ServerCall) {
    const sizes: number[] = [];
    for await (const request of requests) {
      this.#record(request, call);
      sizes.push(request.name.length);
    }
    return { message: sizes.join(",") };
  }

  async *bidiHello(requests: AsyncIterable<HelloRequest>, call: ServerCall) {
    for await (const request of requests) {
      this.#record(request, call);
      call.setCompression(request.name.startsWith("plain") ? "identity" : "gzip");
      yield { message: request.name };
    }
  }
}

const name = (size: number, fill = "a") => fill.repeat(size);

/** Sends a raw request and returns the response headers, trailers and the messages with their flags. */
async function rawCall(port: number, path: string, headers: http2.OutgoingHttpHeaders, body: Buffer) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    stream.end(body);
    let response: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (response = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => stream.on("close", resolve));
    return { response, trailers, messages: unframe(Buffer.concat(chunks)), status: response["grpc-status"] ?? trailers["grpc-status"], message: String(response["grpc-message"] ?? trailers["grpc-message"] ?? "") };
  } finally {
    session.close();
  }
}

function frame(bytes: Uint8Array, compressed: boolean): Buffer {
  const out = Buffer.alloc(5 + bytes.byteLength);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, 5);
  return out;
}

function unframe(data: Buffer): Array<{ compressed: boolean; bytes: Buffer }> {
  const out: Array<{ compressed: boolean; bytes: Buffer }> = [];
  for (let offset = 0; offset + 5 <= data.length; ) {
    const length = data.readUInt32BE(offset + 1);
    out.push({ compressed: data[offset] === 1, bytes: data.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return out;
}

const helloBytes = (text: string) => toBinary(HelloRequestSchema, { $typeName: "greeter.v1.HelloRequest", name: text, count: 0 });

/** A raw HTTP/2 server answering every request with `respond`. */
async function rawServer(respond: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void) {
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    stream.resume();
    respond(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async [Symbol.asyncDispose]() {
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A raw server's answer: one message with the given flag and bytes under `grpc-encoding`, then OK. */
function answerWith(encoding: string, compressed: boolean, bytes: Uint8Array) {
  return (stream: http2.ServerHttp2Stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": encoding }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame(bytes, compressed));
  };
}

describe("compression between our client and our server", () => {
  for (const encoding of ["gzip", "deflate"] as const) {
    it(`${encoding}: requests compressed by the channel, responses by the server, both read back`, async () => {
      const service = new RecordingGreeter();
      await using pair = await startPair(service, { compression: encoding }, { compression: encoding });
      const call = new GreeterClient(pair.channel).open.sayHello();
      await call.send({ name: name(10 * KiB) });
      call.end();
      const reply = await call.receive();
      assert.equal(reply?.message, name(10 * KiB));
      assert.equal(call.wasCompressed(reply!), true, "the response was not compressed");
      assert.deepEqual(service.seen, [{ size: 10 * KiB, compressed: true, encoding }]);
    });
  }

  it("the call's compression option wins over the channel's", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, {}, { compression: "gzip" });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: name(4 * KiB) }, { compression: "deflate" });
    await client.sayHello({ name: name(4 * KiB) }, { compression: "identity" });
    await client.sayHello({ name: name(4 * KiB) });
    assert.deepEqual(
      service.seen.map((s) => [s.encoding, s.compressed]),
      [["deflate", true], ["identity", false], ["gzip", true]],
    );
  });

  it("is off by default: no grpc-encoding, no compressed flag", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service);
    const call = new GreeterClient(pair.channel).open.sayHello();
    await call.send({ name: name(10 * KiB) });
    call.end();
    const reply = await call.receive();
    assert.equal(call.wasCompressed(reply!), false);
    assert.deepEqual(service.seen, [{ size: 10 * KiB, compressed: false, encoding: "identity" }]);
  });

  it("a handler picks the response encoding with call.setCompression()", async () => {
    await using pair = await startPair(new RecordingGreeter());
    const call = new GreeterClient(pair.channel).open.sayHello();
    await call.send({ name: `compress:deflate ${name(4 * KiB)}` });
    call.end();
    assert.equal(call.wasCompressed((await call.receive())!), true);
    // The encoding named in the response headers.
    const r = await rawCall(pair.port, "/greeter.v1.Greeter/SayHello", { "grpc-accept-encoding": "gzip, deflate" }, frame(helloBytes(`compress:deflate ${name(4 * KiB)}`), false));
    assert.equal(r.response["grpc-encoding"], "deflate");
    assert.equal(r.messages[0]?.compressed, true);
    assert.equal(fromBinary(HelloReplySchema, zlib.inflateSync(r.messages[0]!.bytes)).message, `compress:deflate ${name(4 * KiB)}`);
  });

  it("messages under compressMinBytes go uncompressed (flag 0) on a compressing call", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, { compression: "gzip" }, { compression: "gzip" });
    const call = new GreeterClient(pair.channel).open.bidiHello();
    // Encoded, a name of n bytes (n < 16384) is a message of n + 3: 1020 and 1021 straddle the 1024 default.
    for (const size of [10, 1020, 1021, 5000]) await call.send({ name: name(size) });
    call.end();
    const flags: boolean[] = [];
    for await (const reply of call) flags.push(call.wasCompressed(reply));
    assert.deepEqual(
      service.seen.map((s) => s.compressed),
      [false, false, true, true],
    );
    // Responses: the same sizes, and the server's default minimum is 1024 too.
    assert.deepEqual(flags, [false, false, true, true]);
  });

  it("compressMinBytes is configurable on both sides (0: every message)", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, { compression: "gzip", compressMinBytes: 0 }, { compression: "gzip", compressMinBytes: 0 });
    const call = new GreeterClient(pair.channel).open.sayHello();
    await call.send({ name: "x" });
    call.end();
    assert.equal(call.wasCompressed((await call.receive())!), true);
    assert.equal(service.seen[0]?.compressed, true);
  });

  it("turns compression off per message: send(m, { compress: false }) and setCompression('identity')", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, {}, { compression: "gzip" });
    const call = new GreeterClient(pair.channel).open.bidiHello();
    await call.send({ name: name(3000) });
    await call.send({ name: `plain${name(3000)}` }, { compress: false });
    await call.send({ name: name(3000) });
    call.end();
    const flags: boolean[] = [];
    for await (const reply of call) flags.push(call.wasCompressed(reply));
    assert.deepEqual(
      service.seen.map((s) => s.compressed),
      [true, false, true],
    );
    assert.deepEqual(flags, [true, false, true]);
  });

  it("keeps message order in both directions when big messages are decompressed asynchronously", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, {}, { compression: "gzip" });
    // Big (thread pool), small (synchronous), uncompressed and compressed, interleaved.
    const sizes = [300 * KiB, 10, 2 * KiB, 1 * MiB, 5, 70 * KiB, 3 * KiB, 200 * KiB, 1];
    const call = new GreeterClient(pair.channel).open.bidiHello();
    const sent = sizes.map((size, i) => name(size, String.fromCharCode(97 + i)));
    const sending = (async () => {
      for (const [i, text] of sent.entries()) await call.send({ name: text }, { compress: i % 3 !== 2 });
      call.end();
    })();
    const received: string[] = [];
    for await (const reply of call) received.push(reply.message);
    await sending;
    assert.deepEqual(
      received.map((r) => [r.length, r[0]]),
      sent.map((s) => [s.length, s[0]]),
    );
    assert.deepEqual(
      service.seen.map((s) => s.size),
      sizes,
    );
  });

  it("client streaming: every request decompressed, in order, before the end of the stream", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, {}, { compression: "deflate" });
    const sizes = [500 * KiB, 3, 80 * KiB, 2 * KiB];
    const reply = await new GreeterClient(pair.channel).lotsOfGreetings(sizes.map((size) => ({ name: name(size) })));
    assert.equal(reply.message, sizes.join(","));
    assert.deepEqual(
      service.seen.map((s) => s.compressed),
      [true, false, true, true],
    );
  });

  it("a big unary response is compressed off the event loop and still arrives whole", async () => {
    await using pair = await startPair(new RecordingGreeter(), { compression: "gzip" }, { compression: "gzip" });
    const reply = await new GreeterClient(pair.channel).sayHello({ name: name(2 * MiB, "z") });
    assert.equal(reply.message.length, 2 * MiB);
  });

  it("setCompression() cannot switch encodings once the headers are out", async () => {
    let thrown: unknown;
    const service = new (class extends RecordingGreeter {
      override async *lotsOfReplies(_request: HelloRequest, call: ServerCall) {
        call.setCompression("gzip");
        yield { message: "first" };
        try {
          call.setCompression("deflate");
        } catch (error) {
          thrown = error;
        }
        call.setCompression("identity");
        yield { message: "second" };
        call.setCompression("gzip");
        yield { message: "third" };
      }
    })();
    await using pair = await startPair(service, { compressMinBytes: 0 });
    const replies: string[] = [];
    for await (const reply of new GreeterClient(pair.channel).lotsOfReplies({ name: "x" })) replies.push(reply.message);
    assert.deepEqual(replies, ["first", "second", "third"]);
    assert.match(String(thrown), /already sent with grpc-encoding gzip/);
  });

  it("rejects an unknown compression option with a TypeError", () => {
    assert.throws(() => new Channel("127.0.0.1:1", { compression: "br" as Compression }), TypeError);
  });
});

describe("negotiation, on the wire", () => {
  const path = "/greeter.v1.Greeter/SayHello";
  const big = helloBytes(name(4 * KiB));

  it("the client always sends grpc-accept-encoding", async () => {
    let seen: http2.IncomingHttpHeaders = {};
    await using server = await rawServer((stream, headers) => {
      seen = headers;
      answerWith("identity", false, toBinary(HelloReplySchema, { $typeName: "greeter.v1.HelloReply", message: "ok" }))(stream);
    });
    await using channel = new Channel(`127.0.0.1:${server.port}`);
    await new GreeterClient(channel).sayHello({ name: "x" });
    assert.deepEqual(String(seen["grpc-accept-encoding"]).split(","), ["identity", "gzip", "deflate"]);
    assert.equal(seen["grpc-encoding"], undefined);
    assert.equal(seen["content-type"], "application/grpc");
  });

  it("the server compresses only in an encoding the client accepts", async () => {
    await using pair = await startPair(new RecordingGreeter(), { compression: "gzip" });
    const cases: Array<[http2.OutgoingHttpHeaders, string | undefined]> = [
      [{}, undefined], // no grpc-accept-encoding: identity
      [{ "grpc-accept-encoding": "identity,deflate" }, undefined],
      [{ "grpc-accept-encoding": "identity, deflate,gzip" }, "gzip"],
      // A client that compresses with gzip reads it too (grpc-go answers in the request's encoding).
      [{ "grpc-encoding": "gzip" }, "gzip"],
    ];
    for (const [headers, expected] of cases) {
      const body = headers["grpc-encoding"] === "gzip" ? frame(zlib.gzipSync(big), true) : frame(big, false);
      const r = await rawCall(pair.port, path, headers, body);
      assert.equal(r.status, "0", r.message);
      assert.equal(r.response["grpc-encoding"], expected, JSON.stringify(headers));
      assert.equal(r.messages[0]?.compressed, expected !== undefined);
    }
  });

  it("an unknown grpc-encoding gets UNIMPLEMENTED and the supported list in grpc-accept-encoding", async () => {
    await using pair = await startPair(new RecordingGreeter());
    const r = await rawCall(pair.port, path, { "grpc-encoding": "snappy" }, frame(big, true));
    assert.equal(r.status, String(Status.UNIMPLEMENTED));
    assert.match(decodeURIComponent(r.message), /grpc-encoding "snappy" is not supported \(supported: identity,gzip,deflate\)/);
    assert.deepEqual(String(r.response["grpc-accept-encoding"]).split(","), ["identity", "gzip", "deflate"]);
    // And the server keeps serving.
    assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "still up" })).message, "still up");
  });

  it("a compressed flag with grpc-encoding identity (or none) is INTERNAL", async () => {
    await using pair = await startPair(new RecordingGreeter());
    for (const headers of [{}, { "grpc-encoding": "identity" }]) {
      const r = await rawCall(pair.port, path, headers, frame(zlib.gzipSync(big), true));
      assert.equal(r.status, String(Status.INTERNAL));
      assert.match(decodeURIComponent(r.message), /compressed message received without grpc-encoding/);
    }
  });

  it("a message that is not valid gzip is INTERNAL", async () => {
    await using pair = await startPair(new RecordingGreeter());
    const r = await rawCall(pair.port, path, { "grpc-encoding": "gzip" }, frame(Buffer.from("not gzip at all"), true));
    assert.equal(r.status, String(Status.INTERNAL));
    assert.match(decodeURIComponent(r.message), /failed to decompress a gzip message/);
  });

  it("uncompressed messages under grpc-encoding gzip are fine (the flag decides)", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service);
    const r = await rawCall(pair.port, path, { "grpc-encoding": "gzip" }, frame(big, false));
    assert.equal(r.status, "0");
    assert.deepEqual(service.seen, [{ size: 4 * KiB, compressed: false, encoding: "gzip" }]);
  });

  it("our client: a response compressed with an encoding it does not support is INTERNAL, naming the supported ones", async () => {
    await using server = await rawServer(answerWith("snappy", true, Buffer.from("whatever")));
    await using channel = new Channel(`127.0.0.1:${server.port}`);
    const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, Status.INTERNAL);
    assert.match(error.message, /unsupported grpc-encoding "snappy" \(supported: identity,gzip,deflate\)/);
  });

  it("our client: a compressed response without grpc-encoding is INTERNAL", async () => {
    await using server = await rawServer(answerWith("identity", true, zlib.gzipSync(Buffer.from("x"))));
    await using channel = new Channel(`127.0.0.1:${server.port}`);
    await assert.rejects(new GreeterClient(channel).sayHello({ name: "x" }), { code: Status.INTERNAL, message: /without grpc-encoding/ });
  });
});

describe("zip bombs: decompression stops at the receive limit", () => {
  // 100 MiB of zeros is about 100 KB of gzip: well under the 4 MiB limit on the wire.
  const inflated = 100 * MiB;
  const bomb = zlib.gzipSync(Buffer.alloc(inflated), { level: 9 });

  it(`a ${Math.round(bomb.length / KiB)} KiB gzip request inflating to 100 MiB gets RESOURCE_EXHAUSTED quickly, without the memory`, async () => {
    await using pair = await startPair(new RecordingGreeter());
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const r = await rawCall(pair.port, "/greeter.v1.Greeter/SayHello", { "grpc-encoding": "gzip" }, frame(bomb, true));
    const elapsed = performance.now() - started;
    assert.equal(r.status, String(Status.RESOURCE_EXHAUSTED), r.message);
    assert.match(decodeURIComponent(r.message), /after decompression larger than max \(more than 4194304 vs\. 4194304/);
    assert.ok(elapsed < 5_000, `took ${elapsed} ms`);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 50 * MiB, `array buffers grew by ${Math.round(grown / MiB)} MiB`);
    assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "still up" })).message, "still up");
  });

  it("a small bomb under a small limit fails synchronously, the same way", async () => {
    await using pair = await startPair(new RecordingGreeter(), { maxReceiveMessageSize: 1000 });
    const r = await rawCall(pair.port, "/greeter.v1.Greeter/SayHello", { "grpc-encoding": "deflate" }, frame(zlib.deflateSync(Buffer.alloc(50_000)), true));
    assert.equal(r.status, String(Status.RESOURCE_EXHAUSTED));
    assert.match(decodeURIComponent(r.message), /more than 1000 vs\. 1000/);
  });

  it("our client: a bomb in a response gets RESOURCE_EXHAUSTED", async () => {
    await using server = await rawServer(answerWith("gzip", true, bomb));
    await using channel = new Channel(`127.0.0.1:${server.port}`);
    const started = performance.now();
    await assert.rejects(new GreeterClient(channel).sayHello({ name: "x" }), {
      code: Status.RESOURCE_EXHAUSTED,
      message: /after decompression larger than max/,
    });
    assert.ok(performance.now() - started < 5_000);
  });
});

describe("compression with grpc-js", () => {
  const method = {
    path: "/greeter.v1.Greeter/SayHello",
    serialize: (m: HelloRequest) => Buffer.from(toBinary(HelloRequestSchema, m)),
    deserialize: (b: Buffer) => fromBinary(HelloReplySchema, b),
  };

  it("a grpc-js client compressing with gzip and deflate: our server decompresses, and compresses back", async () => {
    for (const [algorithm, encoding] of [[2, "gzip"], [1, "deflate"]] as const) {
      const service = new RecordingGreeter();
      await using pair = await startPair(service, { compression: "gzip" });
      const client = new grpc.Client(`127.0.0.1:${pair.port}`, grpc.credentials.createInsecure(), { "grpc.default_compression_algorithm": algorithm });
      try {
        const request = { $typeName: "greeter.v1.HelloRequest", name: name(8 * KiB), count: 0 } as HelloRequest;
        const reply = await new Promise<{ message: string }>((resolve, reject) =>
          client.makeUnaryRequest(method.path, method.serialize, method.deserialize, request, (error, value) =>
            error ? reject(error) : resolve(value!),
          ),
        );
        assert.equal(reply.message, name(8 * KiB));
        assert.deepEqual(service.seen, [{ size: 8 * KiB, compressed: true, encoding }]);
      } finally {
        client.close();
      }
    }
  });

  it("our client compressing with gzip and deflate: a grpc-js server decompresses", async () => {
    for (const encoding of ["gzip", "deflate"] as const) {
      const server = new grpc.Server();
      server.addService(
        { sayHello: { ...method, requestStream: false, responseStream: false, requestSerialize: method.serialize, requestDeserialize: (b: Buffer) => fromBinary(HelloRequestSchema, b), responseSerialize: (m: { message: string }) => Buffer.from(toBinary(HelloReplySchema, { $typeName: "greeter.v1.HelloReply", ...m })), responseDeserialize: method.deserialize } },
        { sayHello: (call: grpc.ServerUnaryCall<HelloRequest, unknown>, callback: grpc.sendUnaryData<{ message: string }>) => callback(null, { message: `${call.request.name.length}` }) },
      );
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
      );
      try {
        await using channel = new Channel(`127.0.0.1:${port}`, { compression: encoding });
        const client = new GreeterClient(channel);
        assert.equal((await client.sayHello({ name: name(100 * KiB) })).message, String(100 * KiB));
        assert.equal((await client.sayHello({ name: name(10) })).message, "10");
      } finally {
        server.forceShutdown();
      }
    }
  });
});

describe("README examples (compression)", () => {
  it("are quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["compression-client", "compression-server"]);
  });

  it("run: per channel, per call and per message, both sides", async () => {
    const secretFor = (request: HelloRequest) => `the secret of ${request.name}`;
    // #region readme compression-server
    // gzip responses (for clients that accept it), unless a handler picks otherwise
    const server = new Server({ compression: "gzip" }).add(Greeter, {
      async sayHello(request) {
        return { message: `Hello, ${request.name}!` };
      },
      async *lotsOfReplies(request, call) {
        call.setCompression("deflate"); // this call's algorithm instead: picked before the first response
        yield { message: `Hello, ${request.name}! ${"padding ".repeat(200)}` };
        call.setCompression("identity"); // the next response uncompressed (a secret: CRIME/BREACH)
        yield { message: secretFor(request) };
      },
    });
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const target = `127.0.0.1:${port}`;
    const secret = "x".repeat(2000);
    const logged: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logged.push(args.join(" "));
    try {
      // #region readme compression-client
      await using channel = new Channel(target, { compression: "gzip" }); // gzip every request (default: identity)
      const greeter = new GreeterClient(channel);
      await greeter.sayHello({ name: "Ada" }, { compression: "identity" }); // but not this call's

      const call = greeter.open.lotsOfReplies();
      await call.send({ name: secret }, { compress: false }); // nor this message
      call.end();
      for await (const reply of call) console.log(call.wasCompressed(reply)); // true, then false
      // #endregion
    } finally {
      console.log = log;
      await server.forceClose();
    }
    assert.deepEqual(logged, ["true", "false"]);
  });
});
