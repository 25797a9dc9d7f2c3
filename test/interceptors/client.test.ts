import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { GrpcError, Metadata, Status, isMethod, type ClientInterceptor, type ClientResponse } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { Greeter, HelloReplySchema } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

/** Sets `x-tag` on every call. */
const tagWith =
  (tag: string): ClientInterceptor =>
  (next) =>
  async (request) => {
    request.metadata.set("x-tag", tag);
    return next(request);
  };

/** Upper-cases every request's name, for every kind (streams too). */
const shoutRequests: ClientInterceptor = (next) => async (request) => {
  const messages = request.messages;
  request.messages = (async function* () {
    for await (const message of messages) {
      const m = message as { name?: string };
      yield { ...message, name: (m.name ?? "").toUpperCase() };
    }
  })();
  return next(request);
};

/** Appends "!" to every response message, for every kind (streams too). */
const exclaimResponses: ClientInterceptor = (next) => async (request) => {
  const response = await next(request);
  const messages = response.messages;
  return {
    ...response,
    messages: (async function* () {
      for await (const message of messages) {
        const m = message as unknown as { message: string };
        yield { ...message, message: `${m.message}!` };
      }
    })(),
  };
};

describe("client interceptors", () => {
  it("change the outgoing metadata, on all four kinds", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, undefined, { interceptors: [tagWith("chan")] });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" })).message, "hello a [chan]");
    assert.deepEqual(await texts(client.lotsOfReplies({ name: "b", count: 2 })), ["b 0 [chan]", "b 1 [chan]"]);
    assert.equal((await client.lotsOfGreetings([{ name: "c" }, { name: "d" }])).message, "c,d [chan]");
    assert.deepEqual(await texts(client.bidiHello([{ name: "e" }])), ["echo e [chan]"]);
    assert.equal(service.handled, 4);
  });

  it("transform streamed request and response messages, on all four kinds", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, undefined, { interceptors: [shoutRequests, exclaimResponses] });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" })).message, "hello A!");
    assert.deepEqual(await texts(client.lotsOfReplies({ name: "b", count: 2 })), ["B 0!", "B 1!"]);
    assert.equal((await client.lotsOfGreetings([{ name: "c" }, { name: "d" }])).message, "C,D!");
    assert.deepEqual(await texts(client.bidiHello([{ name: "e" }, { name: "f" }])), ["echo E!", "echo F!"]);
    assert.deepEqual(service.requestsSeen, ["A", "B", "C", "D", "E", "F"]);
  });

  it("read the response headers, trailers and status, on all four kinds and on errors", async () => {
    const service = new RecordingGreeter();
    const seen: { path: string; trailer: string | undefined; code: Status; headers: boolean }[] = [];
    const observe: ClientInterceptor = (next) => async (request) => {
      let response: ClientResponse<typeof request.method.output>;
      try {
        response = await next(request);
      } catch (error) {
        const e = GrpcError.from(error);
        seen.push({ path: request.path, trailer: e.metadata.get("x-trailer"), code: e.code, headers: false });
        throw error;
      }
      const messages = response.messages;
      const trailers = response.trailers;
      return {
        ...response,
        messages: (async function* () {
          let code: Status = Status.OK;
          try {
            yield* messages;
          } catch (error) {
            code = GrpcError.from(error).code;
            throw error;
          } finally {
            seen.push({ path: request.path, trailer: trailers.get("x-trailer"), code, headers: response.headers !== undefined });
          }
        })(),
      };
    };
    await using pair = await startPair(service, undefined, { interceptors: [observe] });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "a" });
    await texts(client.lotsOfReplies({ name: "b", count: 1 }));
    await client.lotsOfGreetings([{ name: "c" }]);
    await texts(client.bidiHello([{ name: "d" }]));
    await assert.rejects(client.sayHello({ name: "unavailable" }), { code: Status.UNAVAILABLE });
    assert.deepEqual(seen, [
      { path: "/greeter.v1.Greeter/SayHello", trailer: "from-handler", code: Status.OK, headers: true },
      { path: "/greeter.v1.Greeter/LotsOfReplies", trailer: "from-handler", code: Status.OK, headers: true },
      { path: "/greeter.v1.Greeter/LotsOfGreetings", trailer: "from-handler", code: Status.OK, headers: true },
      { path: "/greeter.v1.Greeter/BidiHello", trailer: "from-handler", code: Status.OK, headers: true },
      // A handler that throws before sending anything gives a trailers-only response: next() rejects.
      { path: "/greeter.v1.Greeter/SayHello", trailer: "from-handler", code: Status.UNAVAILABLE, headers: false },
    ]);
  });

  it("short-circuit with a response or an error, without reaching the server", async () => {
    const service = new RecordingGreeter();
    const cache: ClientInterceptor = (next) => async (request) => {
      if (isMethod(request, Greeter.method.sayHello)) {
        const [first] = [...(request.messages as Iterable<{ name?: string }>)];
        if (first?.name === "cached") {
          return {
            headers: new Metadata({ "x-cache": "hit" }),
            trailers: new Metadata(),
            peer: "",
            messages: [create(HelloReplySchema, { message: "from cache" })],
          } as ClientResponse<typeof request.method.output>;
        }
        if (first?.name === "forbidden") throw new GrpcError(Status.PERMISSION_DENIED, "not for you");
      }
      return next(request);
    };
    await using pair = await startPair(service, undefined, { interceptors: [cache] });
    const client = new GreeterClient(pair.channel);
    let headers: Metadata | undefined;
    assert.equal((await client.sayHello({ name: "cached" }, { onHeader: (h) => (headers = h) })).message, "from cache");
    assert.equal(headers?.get("x-cache"), "hit");
    await assert.rejects(client.sayHello({ name: "forbidden" }), { code: Status.PERMISSION_DENIED, rawMessage: "not for you" });
    assert.equal(service.handled, 0);
    assert.equal((await client.sayHello({ name: "real" })).message, "hello real");
    assert.equal(service.handled, 1);
  });

  it("short-circuit streaming calls too: a made-up response stream, or an error", async () => {
    const service = new RecordingGreeter();
    const offline: ClientInterceptor = (next) => async (request) => {
      if (request.method.methodKind === "server_streaming") {
        return {
          headers: new Metadata(),
          trailers: new Metadata({ "x-offline": "1" }),
          peer: "",
          messages: (async function* () {
            yield create(HelloReplySchema, { message: "offline 1" });
            yield create(HelloReplySchema, { message: "offline 2" });
          })(),
        } as ClientResponse<typeof request.method.output>;
      }
      if (request.method.methodKind === "bidi_streaming") throw new GrpcError(Status.UNAVAILABLE, "offline");
      return next(request);
    };
    await using pair = await startPair(service, undefined, { interceptors: [offline] });
    const client = new GreeterClient(pair.channel);
    const stream = client.lotsOfReplies({ name: "x", count: 5 });
    assert.deepEqual(await texts(stream), ["offline 1", "offline 2"]);
    assert.equal((await stream.trailers).get("x-offline"), "1");
    assert.equal((await stream.status).code, Status.OK);
    const bidi = client.bidiHello([{ name: "y" }]);
    await assert.rejects(texts(bidi), { code: Status.UNAVAILABLE, rawMessage: "offline" });
    assert.equal((await bidi.status).code, Status.UNAVAILABLE);
    assert.equal(service.handled, 0);
  });

  it("retry by calling next again", async () => {
    const service = new RecordingGreeter();
    service.failuresLeft = 2;
    const attempts: number[] = [];
    const retry: ClientInterceptor = (next) => async (request) => {
      for (let attempt = 1; ; attempt++) {
        attempts.push(attempt);
        try {
          const response = await next(request);
          return response;
        } catch (error) {
          if (attempt >= 5 || GrpcError.from(error).code !== Status.UNAVAILABLE) throw error;
        }
      }
    };
    await using pair = await startPair(service, undefined, { interceptors: [retry] });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "flaky" })).message, "hello flaky");
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.equal(service.handled, 3);
    service.failuresLeft = 1;
    assert.deepEqual(await texts(client.lotsOfReplies({ name: "flaky", count: 2 })), ["flaky 0", "flaky 1"]);
  });

  it("sit above the service config's retries: an interceptor sees one call while the channel retries it", async () => {
    const service = new RecordingGreeter();
    service.failuresLeft = 2;
    let seen = 0;
    const count: ClientInterceptor = (next) => async (request) => {
      seen++;
      return next(request);
    };
    await using pair = await startPair(service, undefined, {
      interceptors: [count],
      serviceConfig: {
        methodConfig: [
          {
            name: [{ service: "greeter.v1.Greeter" }],
            retryPolicy: { maxAttempts: 4, initialBackoff: "0.01s", maxBackoff: "0.05s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] },
          },
        ],
      },
    });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "flaky" })).message, "hello flaky");
    assert.equal(seen, 1);
    assert.equal(service.handled, 3);
    assert.deepEqual(
      service.calls.map((call) => call.metadata.get("grpc-previous-rpc-attempts")),
      [undefined, "1", "2"],
    );
  });

  it("run channel, client and call interceptors in order, the first outermost", async () => {
    const order: string[] = [];
    const mark =
      (name: string): ClientInterceptor =>
      (next) =>
      async (request) => {
        order.push(`${name}>`);
        const response = await next(request);
        order.push(`<${name}`);
        return response;
      };
    await using pair = await startPair(new RecordingGreeter(), undefined, { interceptors: [mark("channel1"), mark("channel2")] });
    const client = new GreeterClient(pair.channel, { interceptors: [mark("client")] });
    await client.sayHello({ name: "x" }, { interceptors: [mark("call")] });
    assert.deepEqual(order, ["channel1>", "channel2>", "client>", "call>", "<call", "<client", "<channel2", "<channel1"]);
  });

  it("work with the full-control form: send, receive, end, cancel", async () => {
    const service = new RecordingGreeter();
    await using pair = await startPair(service, undefined, { interceptors: [tagWith("open"), exclaimResponses] });
    const client = new GreeterClient(pair.channel);
    const call = client.open.bidiHello();
    await call.send({ name: "one" });
    assert.equal((await call.receive())?.message, "echo one [open]!");
    await call.send({ name: "two" });
    assert.equal((await call.receive())?.message, "echo two [open]!");
    call.end();
    assert.equal(await call.receive(), undefined);
    const status = await call.status;
    assert.equal(status.code, Status.OK);
    assert.equal((await call.trailers).get("x-trailer"), "from-handler");
    assert.match(call.peer, /^127\.0\.0\.1:\d+$/);

    const cancelled = client.open.bidiHello();
    await cancelled.send({ name: "three" });
    assert.equal((await cancelled.receive())?.message, "echo three [open]!");
    cancelled.cancel("enough");
    await assert.rejects(cancelled.receive(), { code: Status.CANCELLED });
    assert.equal((await cancelled.status).code, Status.CANCELLED);
    await assert.rejects(cancelled.send({ name: "four" }), { code: Status.CANCELLED });
    // The server saw the cancellation.
    const serverCall = service.calls.at(-1)!;
    assert.equal((await serverCall.status).code, Status.CANCELLED);
  });

  it("see the call options and may change them (a deadline)", async () => {
    const service = new RecordingGreeter();
    const withDeadline: ClientInterceptor = (next) => async (request) => {
      request.options.timeout ??= 5_000;
      return next(request);
    };
    await using pair = await startPair(service, undefined, { interceptors: [withDeadline] });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "x" });
    const deadline = service.calls[0]!.deadline;
    assert.ok(deadline !== undefined && deadline > Date.now() + 3_000 && deadline <= Date.now() + 5_000, `deadline ${deadline}`);
  });

  it("turn a thrown non-gRPC error into a status, never a crash", async () => {
    const broken: ClientInterceptor = () => async () => {
      throw new Error("interceptor bug");
    };
    await using pair = await startPair(new RecordingGreeter(), undefined, { interceptors: [broken] });
    const client = new GreeterClient(pair.channel);
    await assert.rejects(client.sayHello({ name: "x" }), (error: unknown) => error instanceof GrpcError && error.code === Status.UNKNOWN && /interceptor bug/.test(error.message));
    const stream = client.lotsOfReplies({ name: "x", count: 1 });
    await assert.rejects(texts(stream), { code: Status.UNKNOWN });
    assert.equal((await stream.status).code, Status.UNKNOWN);
  });
});
