import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMessage } from "@bufbuild/protobuf";
import {
  GrpcError,
  Metadata,
  RecvInitialMetadata,
  RecvMessage,
  RecvRequest,
  RecvTrailingMetadata,
  SendInitialMetadata,
  SendMessage,
  SendRequest,
  SendTrailingMetadata,
  Status,
  errorDetails,
  listen,
  type AnyHandler,
} from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { ErrorInfoSchema } from "../../runtime/status/details/google/rpc/error_details_pb.js";
import { startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

describe("client events", () => {
  it("SendRequest: metadata is mutable; method, deadline and content-type are read-only", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service);
    const seen: { methodName: string; deadline: number | undefined; contentType: string }[] = [];
    listen(pair.channel, SendRequest, (event) => {
      seen.push({ methodName: event.methodName, deadline: event.deadline, contentType: event.contentType });
      event.metadata.set("x-tag", "injected");
      assert.throws(() => {
        (event as unknown as { methodName: string }).methodName = "/other";
      }, TypeError);
    });
    const client = new GreeterClient(pair.channel);
    const before = Date.now();
    assert.equal((await client.sayHello({ name: "a" }, { timeout: 5_000 })).message, "hello a [injected]");
    assert.deepEqual(await texts(client.bidiHello([{ name: "b" }])), ["echo b [injected]"]);
    assert.equal(seen[0]!.methodName, "/greeter.v1.Greeter/SayHello");
    assert.ok(seen[0]!.deadline! >= before + 5_000 && seen[0]!.deadline! <= Date.now() + 5_000);
    assert.equal(seen[0]!.contentType, "application/grpc");
    assert.equal(seen[1]!.deadline, undefined);
  });

  it("listeners run in order; interrupt() stops the ones after; a replaced metadata object is used", async () => {
    await using pair = await startPair(new RecordingGreeter());
    const order: string[] = [];
    listen(pair.channel, SendRequest, async (event) => {
      order.push("first");
      await new Promise((resolve) => setTimeout(resolve, 5));
      event.metadata = new Metadata({ "x-tag": "replaced" });
      event.interrupt();
    });
    listen(pair.channel, SendRequest, (event) => {
      order.push("second");
      event.metadata.set("x-tag", "never");
    });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" })).message, "hello a [replaced]");
    assert.deepEqual(order, ["first"]);
  });

  it("SendMessage and RecvMessage: messages are mutable, on streams too", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service);
    listen(pair.channel, SendMessage, (event) => {
      const m = event.message as { name: string };
      event.message = { ...m, name: `${m.name}-sent` };
    });
    listen(pair.channel, RecvMessage, (event) => {
      const m = event.message as unknown as { message: string };
      event.message = { ...event.message, message: `${m.message}-received` } as typeof event.message;
      assert.equal(event.method.name, event.method.name); // the method is there to read
    });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" })).message, "hello a-sent-received");
    assert.deepEqual(await texts(client.bidiHello([{ name: "b" }, { name: "c" }])), ["echo b-sent-received", "echo c-sent-received"]);
    assert.equal((await client.lotsOfGreetings([{ name: "d" }, { name: "e" }])).message, "d-sent,e-sent-received");
    assert.deepEqual(service.requestsSeen, ["a-sent", "b-sent", "c-sent", "d-sent", "e-sent"]);
  });

  it("RecvInitialMetadata and RecvTrailingMetadata: metadata is mutable; status, message and details are read-only", async () => {
    class Detailed extends RecordingGreeter {
      override async sayHello(request: { name: string }, call: import("tsgrpc").ServerCall) {
        call.sendHeader({ "x-early": "1" });
        if (request.name === "fail") {
          throw new GrpcError(Status.FAILED_PRECONDITION, "not now", {
            details: [errorDetails.errorInfo({ reason: "BUSY", domain: "test" })],
          });
        }
        return { message: "ok" };
      }
    }
    await using pair = await startPair(new Detailed());
    const statuses: { status: Status; statusMessage: string; reasons: string[] }[] = [];
    listen(pair.channel, RecvInitialMetadata, (event) => {
      event.metadata.set("x-added", "by-listener");
    });
    listen(pair.channel, RecvTrailingMetadata, (event) => {
      statuses.push({
        status: event.status,
        statusMessage: event.statusMessage,
        reasons: event.statusDetails.flatMap((d) => (isMessage(d, ErrorInfoSchema) ? [d.reason] : [])),
      });
      event.metadata = new Metadata({ "x-trailer": "replaced" });
      assert.throws(() => {
        (event as unknown as { status: Status }).status = Status.OK;
      }, TypeError);
    });
    const client = new GreeterClient(pair.channel);
    let headers = new Metadata();
    let trailers = new Metadata();
    await client.sayHello({ name: "a" }, { onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) });
    assert.equal(headers.get("x-early"), "1");
    assert.equal(headers.get("x-added"), "by-listener");
    assert.equal(trailers.get("x-trailer"), "replaced");
    await assert.rejects(client.sayHello({ name: "fail" }), { code: Status.FAILED_PRECONDITION });
    assert.deepEqual(statuses, [
      { status: Status.OK, statusMessage: "", reasons: [] },
      { status: Status.FAILED_PRECONDITION, statusMessage: "not now", reasons: ["BUSY"] },
    ]);
  });

  it("cost nothing when no one listens: no interceptor until the first listener, none after the last is removed", async () => {
    await using pair = await startPair(new RecordingGreeter());
    assert.equal(pair.channel.eventsInterceptor(), undefined);
    const stop = listen(pair.channel, SendRequest, () => {});
    assert.notEqual(pair.channel.eventsInterceptor(), undefined);
    stop();
    assert.equal(pair.channel.eventsInterceptor(), undefined);
  });
});

describe("server events", () => {
  it("RecvRequest: metadata is mutable, the read-only fields describe the call", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service);
    const seen: Record<string, unknown>[] = [];
    listen(pair.server, RecvRequest, (event) => {
      seen.push({
        methodName: event.methodName,
        contentType: event.contentType,
        userAgent: event.userAgent,
        peer: event.peer,
        deadline: event.deadline,
      });
      event.metadata.set("x-tag", "server-side");
      assert.throws(() => {
        (event as unknown as { peer: string }).peer = "x";
      }, TypeError);
    });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" }, { timeout: 5_000 })).message, "hello a [server-side]");
    assert.deepEqual(await texts(client.lotsOfReplies({ name: "b", count: 1 })), ["b 0 [server-side]"]);
    assert.equal(seen[0]!.methodName, "/greeter.v1.Greeter/SayHello");
    assert.equal(seen[0]!.contentType, "application/grpc");
    assert.match(String(seen[0]!.userAgent), /tsgrpc-node/);
    assert.match(String(seen[0]!.peer), /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof seen[0]!.deadline, "number");
    assert.equal(seen[1]!.deadline, undefined);
  });

  it("RecvRequest: replacing methodFunc runs another handler (grpclib's auth example), and interrupt() stops later listeners", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service);
    const later: string[] = [];
    const authnError: AnyHandler = async () => {
      throw new GrpcError(Status.UNAUTHENTICATED, "bad token");
    };
    listen(pair.server, RecvRequest, (event) => {
      if (event.metadata.get("auth-token") !== "secret") {
        event.methodFunc = authnError;
        event.interrupt();
      }
    });
    listen(pair.server, RecvRequest, (event) => {
      later.push(event.methodName);
    });
    const client = new GreeterClient(pair.channel);
    await assert.rejects(client.sayHello({ name: "a" }), { code: Status.UNAUTHENTICATED, rawMessage: "bad token" });
    await assert.rejects(texts(client.bidiHello([{ name: "b" }])), { code: Status.UNAUTHENTICATED });
    assert.equal(service.handled, 0);
    assert.deepEqual(later, []);
    const authed = new GreeterClient(pair.channel, { metadata: { "auth-token": "secret" } });
    assert.equal((await authed.sayHello({ name: "a" })).message, "hello a");
    assert.deepEqual(later, ["/greeter.v1.Greeter/SayHello"]);
  });

  it("RecvMessage and SendMessage: messages are mutable, on streams too", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service);
    listen(pair.server, RecvMessage, (event) => {
      const m = event.message as unknown as { name: string };
      event.message = { ...event.message, name: `${m.name}-recv` } as typeof event.message;
    });
    listen(pair.server, SendMessage, (event) => {
      const m = event.message as { message: string };
      event.message = { ...m, message: `${m.message}-send` };
    });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" })).message, "hello a-recv-send");
    assert.deepEqual(await texts(client.lotsOfReplies({ name: "b", count: 2 })), ["b-recv 0-send", "b-recv 1-send"]);
    assert.deepEqual(await texts(client.bidiHello([{ name: "c" }, { name: "d" }])), ["echo c-recv-send", "echo d-recv-send"]);
  });

  it("SendInitialMetadata and SendTrailingMetadata: metadata is mutable; the status is read-only", async () => {
    await using pair = await startPair(new RecordingGreeter());
    const statuses: [Status, string][] = [];
    listen(pair.server, SendInitialMetadata, (event) => {
      event.metadata.set("x-initial", "from-event");
    });
    listen(pair.server, SendTrailingMetadata, (event) => {
      statuses.push([event.status, event.statusMessage]);
      event.metadata.set("x-final", "from-event");
    });
    const client = new GreeterClient(pair.channel);
    let headers = new Metadata();
    let trailers = new Metadata();
    await client.sayHello({ name: "a" }, { onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) });
    assert.equal(headers.get("x-initial"), "from-event");
    assert.equal(trailers.get("x-final"), "from-event");
    assert.equal(trailers.get("x-trailer"), "from-handler");
    const stream = client.lotsOfReplies({ name: "b", count: 2 });
    assert.equal((await texts(stream)).length, 2);
    assert.equal((await stream.trailers).get("x-final"), "from-event");
    // An error before any message: a trailers-only response, where the trailing metadata still gets the event.
    const failed = await client.sayHello({ name: "unavailable" }).catch((e: unknown) => e);
    assert.ok(failed instanceof GrpcError);
    assert.equal(failed.metadata.get("x-final"), "from-event");
    assert.deepEqual(statuses, [
      [Status.OK, ""],
      [Status.OK, ""],
      [Status.UNAVAILABLE, "try again"],
    ]);
  });

  it("a listener that throws fails the call with a status, never crashes the server", async () => {
    const service = new RecordingGreeter();
    const errors: unknown[] = [];
    await using pair = await startPair(service, { onHandlerError: (error) => errors.push(error) });
    const stop = listen(pair.server, RecvRequest, () => {
      throw new Error("listener bug");
    });
    const client = new GreeterClient(pair.channel);
    await assert.rejects(client.sayHello({ name: "a" }), { code: Status.UNKNOWN });
    assert.equal(service.handled, 0);
    assert.match(String(errors[0]), /listener bug/);
    stop();
    assert.equal((await client.sayHello({ name: "a" })).message, "hello a");
  });
});
