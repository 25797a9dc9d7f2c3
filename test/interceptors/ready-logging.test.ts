// The ready-made logging interceptors, server and client, over real HTTP/2, with a capturing logger.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Status, clientLogging, jsonLogger, levelForCode, serverLogging, type CallLogRecord, type Logger, type ServerCall } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { eventually, sleep, startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

type Entry = { level: string; record: CallLogRecord; message: string | undefined };

function capturingLogger(): Logger & { entries: Entry[] } {
  const entries: Entry[] = [];
  const keep = (level: string) => (record: object, message?: string) => entries.push({ level, record: record as CallLogRecord, message });
  return { entries, info: keep("info"), warn: keep("warn"), error: keep("error") };
}

/** `slow` takes 100 ms, `boom` throws a plain Error (UNKNOWN), `unavailable` a GrpcError. */
class Greeter extends RecordingGreeter {
  override async sayHello(request: HelloRequest, call: ServerCall) {
    if (request.name === "slow") await sleep(100);
    if (request.name === "boom") throw new Error("bug");
    return super.sayHello(request, call);
  }
}

describe("serverLogging", () => {
  it("logs one record per call when it ends, on all four kinds, at a level by status", async () => {
    const logger = capturingLogger();
    await using pair = await startPair(new Greeter(), { interceptors: [serverLogging({ logger })], onHandlerError: () => {} });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "slow" });
    await texts(client.lotsOfReplies({ name: "b", count: 2 }));
    await client.lotsOfGreetings([{ name: "c" }]);
    await texts(client.bidiHello([{ name: "d" }]));
    await assert.rejects(client.sayHello({ name: "unavailable" }), { code: Status.UNAVAILABLE });
    await assert.rejects(client.sayHello({ name: "boom" }), { code: Status.UNKNOWN });
    await assert.rejects(client.sayHello({ name: "slow" }, { timeout: 20 }), { code: Status.DEADLINE_EXCEEDED });
    await eventually(() => logger.entries.length === 7);
    const strip = ({ level, record }: Entry) => {
      const { durationMs: _d, peer: _p, ...rest } = record;
      return { level, ...rest };
    };
    const common = { side: "server", service: "greeter.v1.Greeter" };
    assert.deepEqual(logger.entries.slice(0, 6).map(strip), [
      { level: "info", ...common, method: "SayHello", kind: "unary", code: 0, codeName: "OK" },
      { level: "info", ...common, method: "LotsOfReplies", kind: "server_streaming", code: 0, codeName: "OK" },
      { level: "info", ...common, method: "LotsOfGreetings", kind: "client_streaming", code: 0, codeName: "OK" },
      { level: "info", ...common, method: "BidiHello", kind: "bidi_streaming", code: 0, codeName: "OK" },
      { level: "warn", ...common, method: "SayHello", kind: "unary", code: 14, codeName: "UNAVAILABLE", message: "try again" },
      { level: "error", ...common, method: "SayHello", kind: "unary", code: 2, codeName: "UNKNOWN", message: "unexpected error in the handler" },
    ]);
    // The server's deadline timer and the client's (which resets the stream) race: either status is logged, as a warning.
    const deadlined = logger.entries[6]!;
    assert.equal(deadlined.level, "warn");
    assert.ok(["DEADLINE_EXCEEDED", "CANCELLED"].includes(deadlined.record.codeName), deadlined.record.codeName);
    const [slow] = logger.entries;
    assert.ok(slow!.record.durationMs >= 95, `slow call logged ${slow!.record.durationMs} ms`);
    assert.match(slow!.record.peer, /^127\.0\.0\.1:\d+$/);
    assert.equal(slow!.message, `server call /greeter.v1.Greeter/SayHello: OK in ${slow!.record.durationMs} ms`);
  });

  it("logs only the request metadata keys it is told to, binary values as base64", async () => {
    const logger = capturingLogger();
    await using pair = await startPair(new Greeter(), { interceptors: [serverLogging({ logger, metadata: ["x-request-id", "trace-bin"] })] });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "a" }, { metadata: { "x-request-id": "r-9", authorization: "Bearer secret", "trace-bin": new Uint8Array([1, 2, 255]) } });
    await eventually(() => logger.entries.length === 1);
    assert.deepEqual(logger.entries[0]!.record.metadata, { "x-request-id": "r-9", "trace-bin": "AQL/" });
    assert.doesNotMatch(JSON.stringify(logger.entries), /secret/);
  });
});

describe("clientLogging", () => {
  it("logs one record per call when it ends: all four kinds, trailers-only errors, and a caller that stops early", async () => {
    const logger = capturingLogger();
    await using pair = await startPair(new Greeter(), { onHandlerError: () => {} }, { interceptors: [clientLogging({ logger })] });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "a" });
    await texts(client.lotsOfReplies({ name: "b", count: 2 }));
    await client.lotsOfGreetings([{ name: "c" }]);
    await texts(client.bidiHello([{ name: "d" }]));
    await assert.rejects(client.sayHello({ name: "unavailable" }), { code: Status.UNAVAILABLE });
    for await (const _ of client.lotsOfReplies({ name: "e", count: 5 })) break;
    await eventually(() => logger.entries.length === 6);
    assert.deepEqual(
      logger.entries.map(({ level, record }) => [level, record.side, record.kind, record.codeName, record.message]),
      [
        ["info", "client", "unary", "OK", undefined],
        ["info", "client", "server_streaming", "OK", undefined],
        ["info", "client", "client_streaming", "OK", undefined],
        ["info", "client", "bidi_streaming", "OK", undefined],
        ["warn", "client", "unary", "UNAVAILABLE", "try again"],
        ["warn", "client", "server_streaming", "CANCELLED", "the response stream was abandoned"],
      ],
    );
    assert.equal(logger.entries[0]!.record.peer, `127.0.0.1:${pair.port}`);
    // A trailers-only error never gave response headers: no peer is known.
    assert.equal(logger.entries[4]!.record.peer, "");
  });

  it("takes a level function instead of levelForCode", async () => {
    const logger = capturingLogger();
    const level = (code: Status) => (code === Status.UNAVAILABLE ? "error" : levelForCode(code));
    await using pair = await startPair(new Greeter(), undefined, { interceptors: [clientLogging({ logger, level })] });
    await assert.rejects(new GreeterClient(pair.channel).sayHello({ name: "unavailable" }));
    assert.deepEqual(logger.entries.map((e) => e.level), ["error"]);
    assert.deepEqual([Status.OK, Status.NOT_FOUND, Status.INTERNAL, Status.DATA_LOSS, Status.UNIMPLEMENTED, Status.UNKNOWN].map(levelForCode), [
      "info",
      "warn",
      "error",
      "error",
      "error",
      "error",
    ]);
  });
});

describe("jsonLogger", () => {
  it("writes one JSON object per line with level, time and msg", async () => {
    const lines: string[] = [];
    const logger = jsonLogger({ write: (chunk: string) => lines.push(chunk) > 0 });
    await using pair = await startPair(new Greeter(), { interceptors: [serverLogging({ logger })] });
    await new GreeterClient(pair.channel).sayHello({ name: "a" });
    await eventually(() => lines.length === 1);
    assert.ok(lines[0]!.endsWith("}\n"));
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(parsed["level"], "info");
    assert.equal(parsed["codeName"], "OK");
    assert.equal(parsed["method"], "SayHello");
    assert.match(String(parsed["msg"]), /^server call \/greeter\.v1\.Greeter\/SayHello: OK in [\d.]+ ms$/);
    assert.ok(!Number.isNaN(Date.parse(String(parsed["time"]))));
  });
});
