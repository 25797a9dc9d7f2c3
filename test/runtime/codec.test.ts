// Codecs over real HTTP/2: the server picks one by the request's content-type and answers in it; the channel's
// codec picks what it sends. Raw node:http2 peers check the bytes and headers on the wire.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Channel, GrpcError, Server, Status, createJsonCodec, jsonCodec, protoCodec, type Codec } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { HelloReplySchema, HelloRequestSchema } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { assertQuotedInReadme, startPair } from "./harness.js";

const SAY_HELLO = "/greeter.v1.Greeter/SayHello";

// #region readme codec-custom
/** Protobuf bytes as base64 text, sent as `application/grpc+proto-base64`. */
const base64Codec: Codec = {
  name: "proto-base64",
  forSchema(schema) {
    const proto = protoCodec.forSchema(schema); // cached per message type by protoCodec
    return {
      encode: (message) => Buffer.from(Buffer.from(proto.encode(message)).toString("base64")),
      decode: (bytes) => proto.decode(Buffer.from(Buffer.from(bytes).toString("latin1"), "base64")),
    };
  },
};
// #endregion

function frame(bytes: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(5 + bytes.byteLength);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, 5);
  return out;
}

/** Sends one raw request; returns the response headers, the first message's bytes and the status. */
async function rawCall(port: number, contentType: string, body: Buffer) {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ":method": "POST", ":path": SAY_HELLO, "content-type": contentType, te: "trailers" });
    stream.end(body);
    let response: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (response = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    await new Promise((resolve) => stream.on("close", resolve));
    const data = Buffer.concat(chunks);
    const message = data.length >= 5 ? data.subarray(5, 5 + data.readUInt32BE(1)) : undefined;
    return {
      response,
      body: data,
      message,
      status: response["grpc-status"] ?? trailers["grpc-status"],
      statusMessage: decodeURIComponent(String(response["grpc-message"] ?? trailers["grpc-message"] ?? "")),
    };
  } finally {
    session.close();
  }
}

/** A raw server recording the request's headers and body, answering `reply` (already encoded) with OK. */
async function recordingServer(contentType: string, reply: Uint8Array) {
  const seen: { headers?: http2.IncomingHttpHeaders; body?: Buffer } = {};
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    seen.headers = headers;
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      seen.body = Buffer.concat(chunks);
      stream.respond({ ":status": 200, "content-type": contentType }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    seen,
    port: (server.address() as AddressInfo).port,
    async [Symbol.asyncDispose]() {
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("the server picks the codec from the content-type", () => {
  it("application/grpc+json: a JSON request gets a JSON answer in application/grpc+json", async () => {
    await using pair = await startPair(new GreeterService());
    const r = await rawCall(pair.port, "application/grpc+json", frame(Buffer.from(JSON.stringify({ name: "Ada" }))));
    assert.equal(r.status, "0", r.statusMessage);
    assert.equal(r.response["content-type"], "application/grpc+json");
    assert.deepEqual(JSON.parse(r.message!.toString("utf8")), { message: "Hello, Ada!" });
    assert.equal(r.response["x-served-by"], undefined, "trailing metadata stays in the trailers");
  });

  it("the protobuf JSON mapping: proto field names are accepted, unknown fields ignored", async () => {
    await using pair = await startPair(new GreeterService());
    const r = await rawCall(pair.port, "application/grpc+json", frame(Buffer.from('{"name":"Grace","count":2,"future_field":true}')));
    assert.equal(r.status, "0", r.statusMessage);
    assert.deepEqual(JSON.parse(r.message!.toString()), { message: "Hello, Grace!" });
  });

  it("application/grpc and application/grpc+proto are protobuf, answered in the same content-type", async () => {
    await using pair = await startPair(new GreeterService());
    const request = frame(toBinary(HelloRequestSchema, { $typeName: "greeter.v1.HelloRequest", name: "Alan", count: 0 }));
    for (const contentType of ["application/grpc", "application/grpc+proto", "application/grpc;charset=utf-8", "Application/GRPC+Proto"]) {
      const r = await rawCall(pair.port, contentType, request);
      assert.equal(r.status, "0", `${contentType}: ${r.statusMessage}`);
      const expected = contentType.toLowerCase().includes("+proto") ? "application/grpc+proto" : "application/grpc";
      assert.equal(r.response["content-type"], expected, contentType);
      assert.equal(fromBinary(HelloReplySchema, r.message!).message, "Hello, Alan!");
    }
  });

  it("an unknown subtype gets HTTP 415 naming the codecs there are", async () => {
    await using pair = await startPair(new GreeterService());
    const r = await rawCall(pair.port, "application/grpc+yaml", frame(Buffer.from("name: Ada")));
    assert.equal(r.response[":status"], 415);
    assert.match(r.body.toString(), /no codec "yaml" \(supported: proto, json\)/);
    assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "still up" })).message, "Hello, still up!");
  });

  it("JSON that does not parse is INTERNAL", async () => {
    await using pair = await startPair(new GreeterService());
    const r = await rawCall(pair.port, "application/grpc+json", frame(Buffer.from("{not json")));
    assert.equal(r.status, String(Status.INTERNAL));
    assert.match(r.statusMessage, /failed to parse request message/);
  });

  it("errors in a JSON call come back as usual, in application/grpc+json", async () => {
    await using pair = await startPair(new GreeterService());
    const session = http2.connect(`http://127.0.0.1:${pair.port}`);
    try {
      const stream = session.request({ ":method": "POST", ":path": "/greeter.v1.Greeter/Nope", "content-type": "application/grpc+json", te: "trailers" });
      stream.end(frame(Buffer.from("{}")));
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on("response", resolve));
      assert.equal(headers["grpc-status"], String(Status.UNIMPLEMENTED));
      assert.equal(headers["content-type"], "application/grpc+json");
    } finally {
      session.close();
    }
  });
});

describe("the channel's codec", () => {
  it("jsonCodec: every call kind end to end, application/grpc+json both ways", async () => {
    await using pair = await startPair(new GreeterService(), {}, { codec: jsonCodec });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "Ada" })).message, "Hello, Ada!");
    const replies: string[] = [];
    for await (const r of client.lotsOfReplies({ name: "Grace", count: 2 })) replies.push(r.message);
    assert.deepEqual(replies, ["Hello #1, Grace!", "Hello #2, Grace!"]);
    assert.equal((await client.lotsOfGreetings([{ name: "Alan" }, { name: "Barbara" }])).message, "Hello, Alan and Barbara!");
    const chat: string[] = [];
    for await (const r of client.bidiHello([{ name: "Linus" }])) chat.push(r.message);
    assert.deepEqual(chat, ["Hi Linus, nice to meet you."]);
  });

  it("sends application/grpc+json and JSON text; plain protobuf stays application/grpc", async () => {
    {
      await using server = await recordingServer("application/grpc+json", Buffer.from('{"message":"hi"}'));
      await using channel = new Channel(`127.0.0.1:${server.port}`, { codec: jsonCodec });
      assert.equal((await new GreeterClient(channel).sayHello({ name: "Ada", count: 3 })).message, "hi");
      assert.equal(server.seen.headers?.["content-type"], "application/grpc+json");
      assert.equal(server.seen.body?.subarray(5).toString(), '{"name":"Ada","count":3}');
    }
    {
      const reply = toBinary(HelloReplySchema, { $typeName: "greeter.v1.HelloReply", message: "hi" });
      await using server = await recordingServer("application/grpc", reply);
      await using channel = new Channel(`127.0.0.1:${server.port}`);
      assert.equal((await new GreeterClient(channel).sayHello({ name: "Ada" })).message, "hi");
      assert.equal(server.seen.headers?.["content-type"], "application/grpc");
    }
  });

  it("JSON with gzip: the codec and the compression compose", async () => {
    await using pair = await startPair(new GreeterService(), { compression: "gzip" }, { codec: jsonCodec, compression: "gzip" });
    const call = new GreeterClient(pair.channel).open.sayHello();
    await call.send({ name: "x".repeat(5000) });
    call.end();
    const reply = await call.receive();
    assert.equal(reply?.message, `Hello, ${"x".repeat(5000)}!`);
    assert.equal(call.wasCompressed(reply!), true);
  });

  it("createJsonCodec options: strict parsing rejects unknown fields", async () => {
    const strict = createJsonCodec({ readOptions: { ignoreUnknownFields: false } });
    await using pair = await startPair(new GreeterService(), { codecs: [strict] });
    const r = await rawCall(pair.port, "application/grpc+json", frame(Buffer.from('{"name":"Ada","nope":1}')));
    assert.equal(r.status, String(Status.INTERNAL));
    assert.match(r.statusMessage, /failed to parse request message/);
  });
});

describe("custom codecs", () => {
  it("a Codec of our own: registered on the server, used by the channel, named in the content-type", async () => {
    await using pair = await startPair(new GreeterService(), { codecs: [base64Codec] }, { codec: base64Codec });
    assert.equal((await new GreeterClient(pair.channel).sayHello({ name: "Ada" })).message, "Hello, Ada!");
    // On the wire: base64 text under application/grpc+proto-base64.
    const request = Buffer.from(Buffer.from(toBinary(HelloRequestSchema, { $typeName: "greeter.v1.HelloRequest", name: "Bob", count: 0 })).toString("base64"));
    const r = await rawCall(pair.port, "application/grpc+proto-base64", frame(request));
    assert.equal(r.response["content-type"], "application/grpc+proto-base64");
    assert.match(r.message!.toString(), /^[A-Za-z0-9+/=]+$/);
    assert.equal(fromBinary(HelloReplySchema, Buffer.from(r.message!.toString(), "base64")).message, "Hello, Bob!");
  });

  it("a channel whose codec the server lacks gets UNIMPLEMENTED from HTTP 415", async () => {
    await using pair = await startPair(new GreeterService(), {}, { codec: base64Codec });
    const error = await new GreeterClient(pair.channel).sayHello({ name: "Ada" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError);
    // PROTOCOL-HTTP2 / http-grpc-status-mapping: HTTP 415 has no gRPC code of its own.
    assert.equal(error.code, Status.UNKNOWN);
    assert.match(error.message, /HTTP status 415/);
  });

  it("a codec named proto replaces protobuf for application/grpc too", async () => {
    let used = 0;
    const counting: Codec = {
      name: "proto",
      forSchema(schema) {
        const proto = protoCodec.forSchema(schema);
        return {
          encode: (m) => (used++, proto.encode(m)),
          decode: (b) => (used++, proto.decode(b)),
        };
      },
    };
    const server = new Server({ codecs: [counting] }).add(new GreeterService());
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      await using channel = new Channel(`127.0.0.1:${port}`);
      assert.equal((await new GreeterClient(channel).sayHello({ name: "Ada" })).message, "Hello, Ada!");
      assert.equal(used, 2);
    } finally {
      await server.forceClose();
    }
  });
});

describe("README examples (codecs)", () => {
  it("are quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["codec-custom", "codec-json", "codec-server"]);
  });

  it("run", async () => {
    // #region readme codec-server
    const server = new Server({ codecs: [base64Codec] }) // protobuf and JSON are always there
      .add(new GreeterService());
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const target = `127.0.0.1:${port}`;
    try {
      // #region readme codec-json
      await using channel = new Channel(target, { codec: jsonCodec }); // application/grpc+json
      const reply = await new GreeterClient(channel).sayHello({ name: "Ada" });
      // #endregion
      assert.equal(reply.message, "Hello, Ada!");
      await using custom = new Channel(target, { codec: base64Codec });
      assert.equal((await new GreeterClient(custom).sayHello({ name: "Bob" })).message, "Hello, Bob!");
    } finally {
      await server.forceClose();
    }
  });
});
