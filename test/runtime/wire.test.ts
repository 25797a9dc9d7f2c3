// The wire rules, checked with a raw node:http2 peer on the other side.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { Channel, GrpcError, Status } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { startPair } from "./harness.js";

class EchoGreeter extends GreeterBase {
  async sayHello(request: HelloRequest) {
    return { message: request.name };
  }
  async *lotsOfReplies() {}
  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>) {
    let n = 0;
    for await (const _ of requests) n++;
    return { message: String(n) };
  }
  async *bidiHello() {}
}

/** A raw HTTP/2 server answering every request with `respond`. */
async function rawServer(respond: (stream: http2.ServerHttp2Stream) => void): Promise<{ port: number } & AsyncDisposable> {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    stream.resume();
    respond(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async [Symbol.asyncDispose]() {
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends a raw request to `port` and returns the response headers, trailers and body. */
async function rawRequest(port: number, headers: http2.OutgoingHttpHeaders, body: Buffer) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ":method": "POST", ":path": "/greeter.v1.Greeter/SayHello", "content-type": "application/grpc", te: "trailers", ...headers });
    // A GET request is sent with END_STREAM already set.
    if (headers[":method"] !== "GET") stream.end(body);
    let response: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (response = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => stream.on("close", resolve));
    return { response, trailers, body: Buffer.concat(chunks), status: response["grpc-status"] ?? trailers["grpc-status"], message: response["grpc-message"] ?? trailers["grpc-message"] };
  } finally {
    session.close();
  }
}

describe("responses that are not gRPC", () => {
  const cases: Array<[string, (s: http2.ServerHttp2Stream) => void, Status]> = [
    ["HTTP 503", (s) => { s.respond({ ":status": 503 }); s.end(); }, Status.UNAVAILABLE],
    ["HTTP 404", (s) => { s.respond({ ":status": 404 }); s.end(); }, Status.UNIMPLEMENTED],
    ["HTTP 401", (s) => { s.respond({ ":status": 401, "content-type": "application/grpc" }); s.end(); }, Status.UNAUTHENTICATED],
    ["200 with text/html", (s) => { s.respond({ ":status": 200, "content-type": "text/html" }); s.end("<html>"); }, Status.UNKNOWN],
    ["200 gRPC without grpc-status", (s) => { s.respond({ ":status": 200, "content-type": "application/grpc" }); s.end(); }, Status.UNKNOWN],
    ["a stream reset with REFUSED_STREAM", (s) => s.close(http2.constants.NGHTTP2_REFUSED_STREAM), Status.UNAVAILABLE],
    ["a stream reset with CANCEL", (s) => s.close(http2.constants.NGHTTP2_CANCEL), Status.CANCELLED],
    ["a garbage message", (s) => {
      s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
      s.end(Buffer.from([0, 0, 0, 0, 2, 0xff, 0xff]));
    }, Status.INTERNAL],
    ["a message cut short", (s) => {
      s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
      s.end(Buffer.from([0, 0, 0, 0, 9, 1]));
    }, Status.INTERNAL],
    ["an invalid grpc-status", (s) => {
      s.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "banana" }, { endStream: true });
    }, Status.UNKNOWN],
  ];
  for (const [name, respond, code] of cases) {
    it(`${name} maps to ${code}`, async () => {
      await using server = await rawServer(respond);
      await using channel = new Channel(`127.0.0.1:${server.port}`);
      const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
      assert.ok(error instanceof GrpcError, String(error));
      assert.equal(error.code, code, error.message);
    });
  }

  it("a trailers-only OK with no message is a protocol error for a unary call", async () => {
    await using server = await rawServer((s) => s.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "0" }, { endStream: true }));
    await using channel = new Channel(`127.0.0.1:${server.port}`);
    await assert.rejects(new GreeterClient(channel).sayHello({ name: "x" }), { code: Status.UNIMPLEMENTED });
  });

  it("percent-decodes grpc-message leniently", async () => {
    await using server = await rawServer((s) =>
      s.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "3", "grpc-message": "bad %E2%98%BA 100%" }, { endStream: true }),
    );
    await using channel = new Channel(`127.0.0.1:${server.port}`);
    await assert.rejects(new GreeterClient(channel).sayHello({ name: "x" }), { code: Status.INVALID_ARGUMENT, rawMessage: "bad ☺ 100%" });
  });
});

describe("bad requests to our server", () => {
  const frame = (payload: number[]) => Buffer.from([0, 0, 0, 0, payload.length, ...payload]);

  it("answers a wrong content-type with HTTP 415", async () => {
    await using pair = await startPair(new EchoGreeter());
    const r = await rawRequest(pair.port, { "content-type": "application/json" }, Buffer.from("{}"));
    assert.equal(r.response[":status"], 415);
  });

  it("answers a GET with HTTP 405", async () => {
    await using pair = await startPair(new EchoGreeter());
    const r = await rawRequest(pair.port, { ":method": "GET" }, Buffer.alloc(0));
    assert.equal(r.response[":status"], 405);
  });

  const bad: Array<[string, http2.OutgoingHttpHeaders, Buffer, Status, RegExp]> = [
    ["a malformed grpc-timeout", { "grpc-timeout": "1000000000S" }, frame([]), Status.INTERNAL, /grpc-timeout/],
    ["a message that does not parse", {}, frame([0x0a, 0x05, 0x61]), Status.INTERNAL, /parse/],
    ["a request cut inside a message", {}, Buffer.from([0, 0, 0, 0, 10, 1, 2]), Status.INTERNAL, /inside a message/],
    ["reserved flag bits", {}, Buffer.from([0x02, 0, 0, 0, 0]), Status.INTERNAL, /flags/],
    ["a compressed message without grpc-encoding", {}, Buffer.from([1, 0, 0, 0, 0]), Status.INTERNAL, /compressed/],
    ["an unsupported grpc-encoding", { "grpc-encoding": "snappy" }, frame([]), Status.UNIMPLEMENTED, /snappy/],
    ["an oversized length prefix", {}, Buffer.from([0, 0xff, 0xff, 0xff, 0xff]), Status.RESOURCE_EXHAUSTED, /larger than max/],
    ["no request message", {}, Buffer.alloc(0), Status.UNIMPLEMENTED, /expects a request message/],
    ["two request messages for a unary method", {}, Buffer.concat([frame([]), frame([])]), Status.UNIMPLEMENTED, /single request/],
  ];
  for (const [name, headers, body, code, message] of bad) {
    it(`answers ${name} with ${code}, and keeps serving`, async () => {
      await using pair = await startPair(new EchoGreeter());
      const r = await rawRequest(pair.port, headers, body);
      assert.equal(r.status, String(code), JSON.stringify(r));
      assert.match(decodeURIComponent(String(r.message)), message);
      assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "still up" })).message, "still up");
    });
  }

  it("survives a client that vanishes mid-stream", async () => {
    await using pair = await startPair(new EchoGreeter());
    const session = http2.connect(`http://127.0.0.1:${pair.port}`);
    const stream = session.request({ ":method": "POST", ":path": "/greeter.v1.Greeter/LotsOfGreetings", "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {});
    stream.write(frame([0x0a, 0x01, 0x61]));
    stream.write(Buffer.from([0, 0, 0, 0, 100, 1, 2, 3]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    session.destroy();
    assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "alive" })).message, "alive");
  });
});
