import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  GrpcError,
  Metadata,
  Server,
  Status,
  contextKey,
  type ServerCall,
  type ServerCallStatus,
  type ServerInterceptor,
} from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { eventually, sleep, startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

/** Rejects calls without `authorization: let-me-in`, before the handler runs. */
const gate: ServerInterceptor = (next) =>
  async function* (call, requests) {
    if (call.metadata.get("authorization") !== "let-me-in") throw new GrpcError(Status.UNAUTHENTICATED, "who are you?");
    yield* next(call, requests);
  };

const user = contextKey<{ name: string; admin: boolean }>("user");

/** A Greeter whose replies say who the interceptor found the caller to be. */
class WhoAmI extends RecordingGreeter {
  override async sayHello(_request: HelloRequest, call: ServerCall) {
    const who = call.context.get(user);
    return { message: who === undefined ? "anonymous" : `${who.name}${who.admin ? " (admin)" : ""}` };
  }
}

describe("server interceptors", () => {
  it("read the request metadata, peer, deadline and method", async () => {
    const seen: { path: string; kind: string; tag: string | undefined; peer: string; deadline: number | undefined; userAgent: string | undefined }[] = [];
    const observe: ServerInterceptor = (next) => (call, requests) => {
      seen.push({
        path: call.path,
        kind: call.method.methodKind,
        tag: call.metadata.get("x-tag"),
        peer: call.peer,
        deadline: call.deadline,
        userAgent: call.userAgent,
      });
      return next(call, requests);
    };
    await using pair = await startPair(new RecordingGreeter(), { interceptors: [observe] });
    const client = new GreeterClient(pair.channel, { metadata: { "x-tag": "t" } });
    const before = Date.now();
    await client.sayHello({ name: "a" }, { timeout: 10_000 });
    await texts(client.lotsOfReplies({ name: "b", count: 1 }));
    await client.lotsOfGreetings([{ name: "c" }]);
    await texts(client.bidiHello([{ name: "d" }]));
    assert.deepEqual(
      seen.map((s) => [s.path, s.kind, s.tag]),
      [
        ["/greeter.v1.Greeter/SayHello", "unary", "t"],
        ["/greeter.v1.Greeter/LotsOfReplies", "server_streaming", "t"],
        ["/greeter.v1.Greeter/LotsOfGreetings", "client_streaming", "t"],
        ["/greeter.v1.Greeter/BidiHello", "bidi_streaming", "t"],
      ],
    );
    assert.match(seen[0]!.peer, /^127\.0\.0\.1:\d+$/);
    assert.ok(seen[0]!.deadline! >= before + 9_000 && seen[0]!.deadline! <= Date.now() + 10_000);
    assert.equal(seen[1]!.deadline, undefined);
    assert.match(seen[0]!.userAgent ?? "", /tsgrpc-node/);
  });

  it("reject with a status before the handler runs, on all four kinds", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, { interceptors: [gate] });
    const client = new GreeterClient(pair.channel);
    const denied = { code: Status.UNAUTHENTICATED, rawMessage: "who are you?" };
    await assert.rejects(client.sayHello({ name: "a" }), denied);
    await assert.rejects(texts(client.lotsOfReplies({ name: "b", count: 1 })), denied);
    await assert.rejects(client.lotsOfGreetings([{ name: "c" }]), denied);
    await assert.rejects(texts(client.bidiHello([{ name: "d" }])), denied);
    // A client stream that never ends is rejected too: the interceptor does not wait for requests.
    const open = client.open.lotsOfGreetings();
    await open.send({ name: "never ends" });
    assert.equal((await open.status).code, Status.UNAUTHENTICATED);
    assert.equal(service.handled, 0);
    assert.deepEqual(service.requestsSeen, []);

    const allowed = new GreeterClient(pair.channel, { metadata: { authorization: "let-me-in" } });
    assert.equal((await allowed.sayHello({ name: "a" })).message, "hello a");
    assert.deepEqual(await texts(allowed.bidiHello([{ name: "d" }])), ["echo d"]);
    assert.equal(service.handled, 2);
  });

  it("attach typed context values that the handler reads", async () => {
    const authenticate: ServerInterceptor = (next) => (call, requests) => {
      const name = call.metadata.get("x-user");
      if (name !== undefined) call.context.set(user, { name, admin: name === "root" });
      return next(call, requests);
    };
    await using pair = await startPair(new WhoAmI(), { interceptors: [authenticate] });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "" })).message, "anonymous");
    assert.equal((await client.sayHello({ name: "" }, { metadata: { "x-user": "ada" } })).message, "ada");
    assert.equal((await client.sayHello({ name: "" }, { metadata: { "x-user": "root" } })).message, "root (admin)");
  });

  it("wrap the request and response streams (modify streamed messages), on all four kinds", async () => {
    const service = new RecordingGreeter();
    const rewrite: ServerInterceptor = (next) =>
      async function* (call, requests) {
        const renamed = (async function* () {
          for await (const request of requests) {
            const r = request as HelloRequest;
            yield { ...r, name: `${r.name}+in` };
          }
        })();
        for await (const response of next(call, renamed)) {
          const r = response as { message: string };
          yield { ...r, message: `${r.message}+out` };
        }
      };
    await using pair = await startPair(service, { interceptors: [rewrite] });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" })).message, "hello a+in+out");
    assert.deepEqual(await texts(client.lotsOfReplies({ name: "b", count: 2 })), ["b+in 0+out", "b+in 1+out"]);
    assert.equal((await client.lotsOfGreetings([{ name: "c" }, { name: "d" }])).message, "c+in,d+in+out");
    assert.deepEqual(await texts(client.bidiHello([{ name: "e" }, { name: "f" }])), ["echo e+in+out", "echo f+in+out"]);
  });

  it("observe the final status and the duration, including cancels and deadlines", async () => {
    const ended: { path: string; status: ServerCallStatus; ms: number }[] = [];
    const timing: ServerInterceptor = (next) => (call, requests) => {
      const started = performance.now();
      void call.status.then((status) => ended.push({ path: call.path, status, ms: performance.now() - started }));
      return next(call, requests);
    };
    class Slow extends RecordingGreeter {
      override async sayHello(request: HelloRequest, call: ServerCall) {
        if (request.name === "slow") await sleep(200);
        return super.sayHello(request, call);
      }
      override async *bidiHello(requests: AsyncIterable<HelloRequest>, call: ServerCall) {
        yield* super.bidiHello(requests, call);
      }
    }
    await using pair = await startPair(new Slow(), { interceptors: [timing] });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "slow" });
    await assert.rejects(client.sayHello({ name: "unavailable" }), { code: Status.UNAVAILABLE });
    await assert.rejects(client.sayHello({ name: "slow" }, { timeout: 50 }), { code: Status.DEADLINE_EXCEEDED });
    const call = client.open.bidiHello();
    await call.send({ name: "x" });
    await call.receive();
    call.cancel();
    await eventually(() => ended.length === 4);
    const byCode = ended.map((e) => [e.path.split("/")[2], e.status.code]);
    // At its deadline the client also resets the stream; whichever the server sees first, its own timer or the reset, ends the call.
    const deadline = byCode[2]![1];
    assert.ok(deadline === Status.DEADLINE_EXCEEDED || deadline === Status.CANCELLED, `deadline call ended ${deadline}`);
    assert.deepEqual(byCode, [
      ["SayHello", Status.OK],
      ["SayHello", Status.UNAVAILABLE],
      ["SayHello", deadline],
      ["BidiHello", Status.CANCELLED],
    ]);
    assert.ok(ended[2]!.ms >= 40 && ended[2]!.ms < 180, `the deadline call ended after ${ended[2]!.ms} ms`);
    assert.ok(ended[0]!.ms >= 190, `slow call took ${ended[0]!.ms} ms`);
    assert.equal(ended[1]!.status.message, "try again");
  });

  it("turn an exception inside an interceptor into a status, never a crash", async () => {
    const errors: unknown[] = [];
    const broken: ServerInterceptor = () => () => {
      throw new Error("interceptor bug");
    };
    const brokenLater: ServerInterceptor = (next) =>
      async function* (call, requests) {
        yield* next(call, requests);
        throw new GrpcError(Status.DATA_LOSS, "lost it after the handler");
      };
    const service = new RecordingGreeter();
    const server = new Server({ interceptors: [broken], onHandlerError: (error) => errors.push(error) }).add(service);
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    await using pair = await startPair(new RecordingGreeter(), { interceptors: [brokenLater] });
    const { Channel } = await import("tsgrpc");
    await using channel = new Channel(`127.0.0.1:${port}`);
    try {
      const client = new GreeterClient(channel);
      await assert.rejects(client.sayHello({ name: "a" }), { code: Status.UNKNOWN });
      await assert.rejects(texts(client.bidiHello([{ name: "b" }])), { code: Status.UNKNOWN });
      assert.equal(errors.length, 2);
      assert.match(String(errors[0]), /interceptor bug/);
      assert.equal(service.handled, 0);
      const later = new GreeterClient(pair.channel);
      await assert.rejects(later.sayHello({ name: "a" }), { code: Status.DATA_LOSS, rawMessage: "lost it after the handler" });
    } finally {
      await server.forceClose();
    }
  });

  it("run the server's around a service's own, the first outermost", async () => {
    const order: string[] = [];
    const mark =
      (name: string): ServerInterceptor =>
      (next) =>
        async function* (call, requests) {
          order.push(`${name}>`);
          yield* next(call, requests);
          order.push(`<${name}`);
        };
    const server = new Server({ interceptors: [mark("server1"), mark("server2")] }).add(new RecordingGreeter(), { interceptors: [mark("service")] });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const { Channel } = await import("tsgrpc");
    await using channel = new Channel(`127.0.0.1:${port}`);
    try {
      await new GreeterClient(channel).sayHello({ name: "x" });
      assert.deepEqual(order, ["server1>", "server2>", "service>", "<service", "<server2", "<server1"]);
    } finally {
      await server.forceClose();
    }
  });

  it("apply per service: a service added with interceptors, another without", async () => {
    const { HealthService, HealthClient, Channel } = await import("tsgrpc");
    const server = new Server().add(new RecordingGreeter(), { interceptors: [gate] });
    server.add(new HealthService(server));
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    await using channel = new Channel(`127.0.0.1:${port}`);
    try {
      await assert.rejects(new GreeterClient(channel).sayHello({ name: "x" }), { code: Status.UNAUTHENTICATED });
      assert.equal((await new HealthClient(channel).check({ service: "" })).status, 1);
    } finally {
      await server.forceClose();
    }
  });

  it("let handlers see response metadata set by an interceptor", async () => {
    const stamp: ServerInterceptor = (next) => (call, requests) => {
      call.header.set("x-stamp", "yes");
      call.trailer.set("x-stamp-end", "yes");
      return next(call, requests);
    };
    await using pair = await startPair(new RecordingGreeter(), { interceptors: [stamp] });
    const client = new GreeterClient(pair.channel);
    let headers = new Metadata();
    let trailers = new Metadata();
    await client.sayHello({ name: "a" }, { onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) });
    assert.equal(headers.get("x-stamp"), "yes");
    assert.equal(trailers.get("x-stamp-end"), "yes");
    assert.equal(trailers.get("x-trailer"), "from-handler");
  });
});
