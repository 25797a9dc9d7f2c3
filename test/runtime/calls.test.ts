import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GrpcError, Metadata, Status, type ServerCall } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { eventually, sleep, startPair } from "./harness.js";

/** A Greeter whose behaviour is picked by the request's name, recording what its handlers saw. */
class TestGreeter extends GreeterBase {
  seen: { metadata?: Metadata; peer?: string; userAgent?: string; aborted?: unknown; sent: number; finished: boolean } = { sent: 0, finished: false };

  async sayHello(request: HelloRequest, call: ServerCall) {
    this.seen.metadata = call.metadata;
    this.seen.peer = call.peer;
    this.seen.userAgent = call.userAgent;
    switch (request.name) {
      case "not-found":
        call.trailer.set("x-why", "gone");
        throw new GrpcError(Status.NOT_FOUND, "no such greeting: 100% ☺");
      case "crash":
        throw new Error("secret internal detail");
      case "headers":
        call.sendHeader({ "x-early": "yes" });
        call.trailer.set("x-late", "yes");
        return { message: "with headers" };
      case "slow":
        await new Promise<void>((resolve) => call.signal.addEventListener("abort", () => resolve()));
        this.seen.aborted = call.signal.reason;
        return { message: "too late" };
      case "big":
        return { message: "x".repeat(2 * 1024 * 1024) };
      default:
        return { message: `hello ${request.name}`, $typeName: "greeter.v1.HelloReply" } as const;
    }
  }

  async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    try {
      for (let i = 0; i < request.count; i++) {
        yield { message: `${request.name} ${i}` };
        this.seen.sent++;
      }
      if (request.name === "fail-after") throw new GrpcError(Status.ABORTED, "stopped midway");
    } finally {
      this.seen.finished = true;
      this.seen.aborted = call.signal.aborted ? call.signal.reason : undefined;
    }
  }

  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>) {
    const names: string[] = [];
    for await (const r of requests) {
      if (r.name === "stop") return { message: `stopped after ${names.join(",")}` };
      names.push(r.name);
    }
    return { message: names.join(",") };
  }

  async *bidiHello(requests: AsyncIterable<HelloRequest>) {
    for await (const r of requests) yield { message: `echo ${r.name}` };
  }
}

describe("calls of every kind", () => {
  it("unary, with metadata both ways", async () => {
    const service = new TestGreeter();
    await using pair = await startPair(service);
    const client = new GreeterClient(pair.channel, { metadata: { "x-default": "d" } });
    let headers: Metadata | undefined;
    let trailers: Metadata | undefined;
    const reply = await client.sayHello(
      { name: "headers" },
      { metadata: { "x-call": "c" }, onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) },
    );
    assert.equal(reply.message, "with headers");
    assert.equal(service.seen.metadata?.get("x-default"), "d");
    assert.equal(service.seen.metadata?.get("x-call"), "c");
    assert.match(service.seen.peer ?? "", /^127\.0\.0\.1:\d+$/);
    assert.match(service.seen.userAgent ?? "", /^tsgrpc-node\//);
    assert.equal(headers?.get("x-early"), "yes");
    assert.equal(trailers?.get("x-late"), "yes");
  });

  it("server streaming, with headers, trailers and status", async () => {
    await using pair = await startPair(new TestGreeter());
    const client = new GreeterClient(pair.channel);
    const stream = client.lotsOfReplies({ name: "n", count: 5 });
    const got: string[] = [];
    for await (const r of stream) got.push(r.message);
    assert.deepEqual(got, ["n 0", "n 1", "n 2", "n 3", "n 4"]);
    assert.equal((await stream.status).code, Status.OK);
    assert.ok((await stream.headers) instanceof Metadata);
    assert.ok((await stream.trailers) instanceof Metadata);
  });

  it("server streaming that fails midway delivers the messages, then the error", async () => {
    await using pair = await startPair(new TestGreeter());
    const stream = new GreeterClient(pair.channel).lotsOfReplies({ name: "fail-after", count: 2 });
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const r of stream) got.push(r.message);
      })(),
      (e: unknown) => e instanceof GrpcError && e.code === Status.ABORTED && e.rawMessage === "stopped midway",
    );
    assert.deepEqual(got, ["fail-after 0", "fail-after 1"]);
  });

  it("client streaming from a sync iterable and an async generator", async () => {
    await using pair = await startPair(new TestGreeter());
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.lotsOfGreetings([{ name: "a" }, { name: "b" }])).message, "a,b");
    async function* names() {
      for (const name of ["x", "y", "z"]) {
        await sleep(1);
        yield { name };
      }
    }
    assert.equal((await client.lotsOfGreetings(names())).message, "x,y,z");
    assert.equal((await client.lotsOfGreetings([])).message, "");
  });

  it("client streaming where the handler returns before reading everything", async () => {
    await using pair = await startPair(new TestGreeter());
    const client = new GreeterClient(pair.channel);
    let produced = 0;
    function* many() {
      for (let i = 0; i < 100_000; i++) {
        produced++;
        yield { name: i === 3 ? "stop" : String(i), count: 0 };
      }
    }
    const reply = await client.lotsOfGreetings(many());
    assert.equal(reply.message, "stopped after 0,1,2");
    // Sending stops once the call has ended; it never runs through all 100k.
    await sleep(50);
    assert.ok(produced < 100_000, `produced ${produced}`);
  });

  it("bidi, with the simple and the full-control forms", async () => {
    await using pair = await startPair(new TestGreeter());
    const client = new GreeterClient(pair.channel);
    const got: string[] = [];
    for await (const r of client.bidiHello([{ name: "1" }, { name: "2" }])) got.push(r.message);
    assert.deepEqual(got, ["echo 1", "echo 2"]);

    await using call = client.open.bidiHello();
    for (const name of ["a", "b", "c"]) {
      await call.send({ name });
      assert.equal((await call.receive())?.message, `echo ${name}`);
    }
    call.end();
    assert.equal(await call.receive(), undefined);
    assert.equal((await call.status).code, Status.OK);
  });

  it("unary through the full-control form", async () => {
    await using pair = await startPair(new TestGreeter());
    const call = new GreeterClient(pair.channel).open.sayHello();
    await call.send({ name: "open" });
    call.end();
    assert.equal((await call.receive())?.message, "hello open");
    assert.equal(await call.receive(), undefined);
  });

  it("many concurrent calls on one connection", async () => {
    await using pair = await startPair(new TestGreeter());
    const client = new GreeterClient(pair.channel);
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => client.sayHello({ name: String(i) })));
    assert.deepEqual(replies.map((r) => r.message), Array.from({ length: 200 }, (_, i) => `hello ${i}`));
  });
});

describe("status and errors", () => {
  it("a GrpcError from a handler reaches the client with its message and trailers", async () => {
    await using pair = await startPair(new TestGreeter());
    const error = await new GreeterClient(pair.channel).sayHello({ name: "not-found" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, Status.NOT_FOUND);
    assert.equal(error.rawMessage, "no such greeting: 100% ☺");
    assert.equal(error.metadata.get("x-why"), "gone");
  });

  it("any other error becomes UNKNOWN, logged on the server, without its message or stack", async () => {
    const logged: unknown[] = [];
    await using pair = await startPair(new TestGreeter(), { onHandlerError: (e) => logged.push(e) });
    const error = await new GreeterClient(pair.channel).sayHello({ name: "crash" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, Status.UNKNOWN);
    assert.doesNotMatch(error.message, /secret/);
    assert.equal((logged[0] as Error).message, "secret internal detail");
  });

  it("a unary call without interceptors or context (the server's callback path): plain and async results, sync throws, oversized replies", async () => {
    // propagateContext: false keeps the current-call context off, so unary calls take the path without promises.
    const logged: unknown[] = [];
    class Plain extends TestGreeter {
      // Not an async function: it can throw before any promise exists, and (untyped JS) return a plain value.
      override sayHello(request: HelloRequest): Promise<{ message: string }> {
        if (request.name === "throw") throw new Error("sync failure");
        if (request.name === "big") return Promise.resolve({ message: "x".repeat(2048) });
        if (request.name === "grpc") return Promise.reject(new GrpcError(Status.FAILED_PRECONDITION, "not now"));
        return { message: `plain ${request.name}` } as unknown as Promise<{ message: string }>;
      }
    }
    await using pair = await startPair(new Plain(), { propagateContext: false, maxSendMessageSize: 1024, onHandlerError: (e) => logged.push(e) });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "a" })).message, "plain a");
    const thrown = await client.sayHello({ name: "throw" }).catch((e: unknown) => e);
    assert.ok(thrown instanceof GrpcError);
    assert.equal(thrown.code, Status.UNKNOWN);
    assert.equal((logged[0] as Error).message, "sync failure");
    const grpc = await client.sayHello({ name: "grpc" }).catch((e: unknown) => e);
    assert.ok(grpc instanceof GrpcError);
    assert.equal(grpc.code, Status.FAILED_PRECONDITION);
    const big = await client.sayHello({ name: "big" }).catch((e: unknown) => e);
    assert.ok(big instanceof GrpcError);
    assert.equal(big.code, Status.RESOURCE_EXHAUSTED);
    assert.match(big.message, /larger than max/);
    // And the async handler of the other tests, on the same path.
    await using asyncPair = await startPair(new TestGreeter(), { propagateContext: false });
    const reply = await new GreeterClient(asyncPair.channel).sayHello({ name: "b" });
    assert.ok(reply.message.length > 0);
  });

  it("an unknown service or method is UNIMPLEMENTED", async () => {
    await using pair = await startPair(new TestGreeter());
    const { ServiceClient } = await import("tsgrpc");
    const { Greeter } = await import("../../examples/gen/greeter/v1/greeter_pb.js");
    const missingMethod = { ...Greeter.method.sayHello, name: "Nope" };
    const missingService = { ...Greeter.method.sayHello, parent: { ...Greeter, typeName: "no.Such" } };
    const client = new ServiceClient(pair.channel);
    await assert.rejects(client.unary(missingMethod, {}), { code: Status.UNIMPLEMENTED, rawMessage: "unknown method Nope for service greeter.v1.Greeter" });
    await assert.rejects(client.unary(missingService, {}), { code: Status.UNIMPLEMENTED, rawMessage: "unknown service no.Such" });
  });

  it("a response over the client's limit is RESOURCE_EXHAUSTED", async () => {
    await using pair = await startPair(new TestGreeter());
    const client = new GreeterClient(pair.channel);
    await assert.rejects(client.sayHello({ name: "big" }, { maxReceiveMessageSize: 1024 * 1024 }), { code: Status.RESOURCE_EXHAUSTED });
    const reply = await client.sayHello({ name: "big" });
    assert.equal(reply.message.length, 2 * 1024 * 1024);
  });

  it("a request over the server's limit is RESOURCE_EXHAUSTED and the server keeps serving", async () => {
    await using pair = await startPair(new TestGreeter(), { maxReceiveMessageSize: 1024 });
    const client = new GreeterClient(pair.channel);
    await assert.rejects(client.sayHello({ name: "y".repeat(5000) }), { code: Status.RESOURCE_EXHAUSTED });
    assert.equal((await client.sayHello({ name: "ok" })).message, "hello ok");
  });

  it("a server that is not listening fails fast with UNAVAILABLE and says why", async () => {
    const { Channel } = await import("tsgrpc");
    const pair = await startPair(new TestGreeter());
    const port = pair.port;
    await pair[Symbol.asyncDispose]();
    await using channel = new Channel(`127.0.0.1:${port}`);
    const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.match(error.rawMessage, /ECONNREFUSED/);
  });
});

describe("cancellation and deadlines", () => {
  it("a client timeout gives DEADLINE_EXCEEDED and the handler's signal aborts", async () => {
    const service = new TestGreeter();
    await using pair = await startPair(service);
    const started = Date.now();
    await assert.rejects(new GreeterClient(pair.channel).sayHello({ name: "slow" }, { timeout: 100 }), { code: Status.DEADLINE_EXCEEDED });
    assert.ok(Date.now() - started < 1000);
    await eventually(() => service.seen.aborted !== undefined, 2000, "handler abort");
  });

  it("aborting the signal cancels the call on both sides", async () => {
    const service = new TestGreeter();
    await using pair = await startPair(service);
    const controller = new AbortController();
    const pending = new GreeterClient(pair.channel).sayHello({ name: "slow" }, { signal: controller.signal });
    await sleep(50);
    controller.abort();
    await assert.rejects(pending, { code: Status.CANCELLED });
    await eventually(() => service.seen.aborted instanceof GrpcError, 2000, "handler abort");
    assert.equal((service.seen.aborted as GrpcError).code, Status.CANCELLED);
  });

  it("a cancel reaches a bidi handler as an error from its requests, never as their end", async () => {
    // Node's stream.close() would half-close first (END_STREAM), and the handler would see a clean end.
    let outcome: string | undefined;
    class Counting extends TestGreeter {
      override async *bidiHello(requests: AsyncIterable<HelloRequest>) {
        try {
          for await (const r of requests) yield { message: `echo ${r.name}` };
          outcome = "requests ended";
        } catch (error) {
          outcome = `requests failed: ${(error as GrpcError).code}`;
          throw error;
        }
      }
    }
    await using pair = await startPair(new Counting());
    for (let i = 0; i < 5; i++) {
      outcome = undefined;
      const call = new GreeterClient(pair.channel).open.bidiHello();
      await call.send({ name: "x" });
      assert.equal((await call.receive())?.message, "echo x");
      call.cancel();
      await eventually(() => outcome !== undefined, 2000, "the handler to see the cancel");
      assert.equal(outcome, `requests failed: ${Status.CANCELLED}`);
    }
  });

  it("leaving a server stream early cancels it, and the handler stops", async () => {
    const service = new TestGreeter();
    await using pair = await startPair(service);
    const stream = new GreeterClient(pair.channel).lotsOfReplies({ name: "n", count: 1_000_000 });
    let n = 0;
    for await (const _ of stream) if (++n === 3) break;
    assert.equal((await stream.status).code, Status.CANCELLED);
    await eventually(() => service.seen.finished, 2000, "handler to finish");
    assert.ok(service.seen.sent < 1_000_000);
  });

  it("a slow reader slows the writer: the server does not buffer without bound", async () => {
    const service = new TestGreeter();
    await using pair = await startPair(service);
    const call = new GreeterClient(pair.channel).lotsOfReplies({ name: "x".repeat(1000), count: 1_000_000 });
    const iterator = call[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false);
    await sleep(300);
    const sentWhilePaused = service.seen.sent;
    await sleep(300);
    // Flow control stops the handler: nothing more is produced while the client reads nothing.
    assert.equal(service.seen.sent, sentWhilePaused);
    assert.ok(sentWhilePaused < 10_000, `sent ${sentWhilePaused} of 1M while the client read one`);
    call.cancel();
  });
});

describe("connections", () => {
  it("the channel reconnects after the connection drops", async () => {
    const { Server } = await import("tsgrpc");
    const service = new TestGreeter();
    await using pair = await startPair(service, undefined, { backoff: { initialBackoffMs: 20 } });
    const client = new GreeterClient(pair.channel);
    assert.equal((await client.sayHello({ name: "1" })).message, "hello 1");
    await pair.server.forceClose();
    // The server is gone: the call fails fast, saying what failed.
    await assert.rejects(client.sayHello({ name: "2" }), { code: Status.UNAVAILABLE, message: /ECONNREFUSED/ });
    const again = new Server().add(service);
    await again.listen({ host: "127.0.0.1", port: pair.port });
    try {
      // The channel is in TRANSIENT_FAILURE until its next attempt (after the backoff): this call waits for it.
      assert.equal((await client.sayHello({ name: "3" }, { waitForReady: true, timeout: 5000 })).message, "hello 3");
    } finally {
      await again.forceClose();
    }
  });

  it("server.close() waits for calls in flight, then refuses new connections", async () => {
    const service = new TestGreeter();
    await using pair = await startPair(service);
    const client = new GreeterClient(pair.channel);
    const stream = client.lotsOfReplies({ name: "s", count: 3 });
    const first = await stream[Symbol.asyncIterator]().next();
    assert.equal(first.value?.message, "s 0");
    const closing = pair.server.close();
    const rest: string[] = [];
    for await (const r of stream) rest.push(r.message);
    await closing;
    assert.deepEqual(rest, ["s 1", "s 2"]);
  });
});

describe("load on one connection", () => {
  it("1000 concurrent 300 KB calls on one channel all succeed (no ENHANCE_YOUR_CALM from Node's session memory cap)", async () => {
    await using pair = await startPair(new TestGreeter());
    const client = new GreeterClient(pair.channel);
    const name = "n".repeat(300_000);
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => client.sayHello({ name })));
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
    // And the connection still works afterwards.
    assert.equal((await client.sayHello({ name: "after" })).message, "hello after");
  });
});

describe("peer info", () => {
  it("client calls expose the server's address", async () => {
    await using pair = await startPair(new TestGreeter());
    const stream = new GreeterClient(pair.channel).lotsOfReplies({ name: "p", count: 1 });
    let seen = 0;
    for await (const _ of stream) {
      // The connection is open while the call runs.
      assert.equal(stream.peer, `127.0.0.1:${pair.port}`);
      seen++;
    }
    assert.equal(seen, 1);
  });
});
