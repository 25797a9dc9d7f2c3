// Retries per gRPC A6, configured by the service config: real servers that fail on purpose, ours and grpc-js.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Channel, GrpcError, Server, Status, type ChannelOptions, type RetryPolicy, type ServerCall, type ServiceConfig } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { sleep } from "../runtime/harness.js";
import { grpcJsGreeterClient } from "../services/grpc-js-greeter.js";

/** What one attempt of a call should meet on the server. */
interface Failure {
  code: Status;
  /** A grpc-retry-pushback-ms trailer. */
  pushback?: string;
  /** Send response headers before failing (commits the call). */
  headersFirst?: boolean;
}

/** One attempt as the server saw it. */
interface Seen {
  previous: string | undefined;
  requests: string[];
  at: number;
}

/**
 * A Greeter that fails the first attempts as `plan` says (after reading every request), then succeeds,
 * and records each attempt's `grpc-previous-rpc-attempts` and requests.
 */
class FlakyGreeter extends GreeterBase {
  readonly seen: Seen[] = [];
  constructor(public plan: Failure[] = []) {
    super();
  }
  #attempt(call: ServerCall, requests: string[]): void {
    const previous = call.metadata.get("grpc-previous-rpc-attempts");
    this.seen.push({ previous, requests, at: performance.now() });
    const failure = this.plan.shift();
    if (failure === undefined) return;
    if (failure.pushback !== undefined) call.trailer.set("grpc-retry-pushback-ms", failure.pushback);
    if (failure.headersFirst === true) call.sendHeader();
    throw new GrpcError(failure.code, `planned failure #${this.seen.length}`);
  }
  async sayHello(request: HelloRequest, call: ServerCall) {
    this.#attempt(call, [request.name]);
    return { message: `hello ${request.name} (attempt ${this.seen.length})` };
  }
  async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    this.#attempt(call, [request.name]);
    for (let i = 1; i <= request.count; i++) yield { message: `#${i}` };
  }
  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>, call: ServerCall) {
    const names: string[] = [];
    for await (const request of requests) names.push(request.name);
    this.#attempt(call, names);
    return { message: names.join(",") };
  }
  async *bidiHello(requests: AsyncIterable<HelloRequest>, call: ServerCall) {
    const names: string[] = [];
    for await (const request of requests) names.push(request.name);
    this.#attempt(call, names);
    for (const name of names) yield { message: `hi ${name}` };
  }
}

const policy: RetryPolicy = {
  maxAttempts: 4,
  initialBackoff: "0.01s",
  maxBackoff: "0.05s",
  backoffMultiplier: 2,
  retryableStatusCodes: ["UNAVAILABLE", "RESOURCE_EXHAUSTED"],
};

function retryConfig(retryPolicy: RetryPolicy = policy, extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return { methodConfig: [{ name: [{ service: "greeter.v1.Greeter" }], retryPolicy }], ...extra };
}

async function flakyPair(plan: Failure[], options: ChannelOptions = { serviceConfig: retryConfig() }) {
  const greeter = new FlakyGreeter(plan);
  const server = new Server().add(greeter);
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  const channel = new Channel(`127.0.0.1:${port}`, options);
  return {
    greeter,
    channel,
    client: new GreeterClient(channel),
    async [Symbol.asyncDispose]() {
      await channel.close();
      await server.forceClose();
    },
  };
}

const unavailable = (n: number): Failure[] => Array.from({ length: n }, () => ({ code: Status.UNAVAILABLE }));

async function failure(promise: Promise<unknown>): Promise<GrpcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof GrpcError, `expected a GrpcError, got ${String(error)}`);
  return error;
}

async function collect(stream: AsyncIterable<{ message: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const reply of stream) out.push(reply.message);
  return out;
}

describe("retries (gRPC A6)", () => {
  it("retries UNAVAILABLE until OK, with grpc-previous-rpc-attempts on each retry", async () => {
    await using pair = await flakyPair(unavailable(2));
    const reply = await pair.client.sayHello({ name: "a" });
    assert.equal(reply.message, "hello a (attempt 3)");
    assert.deepEqual(pair.greeter.seen.map((s) => s.previous), [undefined, "1", "2"]);
  });

  it("stops at maxAttempts (capped at 5) and returns the last attempt's error", async () => {
    await using pair = await flakyPair(unavailable(10), { serviceConfig: retryConfig({ ...policy, maxAttempts: 3 }) });
    const error = await failure(pair.client.sayHello({ name: "a" }));
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.equal(error.rawMessage, "planned failure #3");
    assert.equal(pair.greeter.seen.length, 3);
    await using capped = await flakyPair(unavailable(10), { serviceConfig: retryConfig({ ...policy, maxAttempts: 9 }) });
    await failure(capped.client.sayHello({ name: "a" }));
    assert.equal(capped.greeter.seen.length, 5);
  });

  it("does not retry a status that is not in retryableStatusCodes", async () => {
    await using pair = await flakyPair([{ code: Status.INTERNAL }, { code: Status.INTERNAL }]);
    const error = await failure(pair.client.sayHello({ name: "a" }));
    assert.equal(error.code, Status.INTERNAL);
    assert.equal(pair.greeter.seen.length, 1);
  });

  it("never retries once response headers have arrived (the call is committed)", async () => {
    await using pair = await flakyPair([{ code: Status.UNAVAILABLE, headersFirst: true }]);
    const error = await failure(pair.client.sayHello({ name: "a" }));
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.equal(pair.greeter.seen.length, 1);
    // Same for a stream whose headers came.
    pair.greeter.plan = [{ code: Status.UNAVAILABLE, headersFirst: true }];
    const streamError = await failure(collect(pair.client.lotsOfReplies({ name: "s", count: 2 })));
    assert.equal(streamError.code, Status.UNAVAILABLE);
    assert.equal(pair.greeter.seen.length, 2);
  });

  it("waits the server's pushback (grpc-retry-pushback-ms) instead of its own backoff", async () => {
    await using pair = await flakyPair([{ code: Status.UNAVAILABLE, pushback: "250" }]);
    assert.equal((await pair.client.sayHello({ name: "a" })).message, "hello a (attempt 2)");
    const [first, second] = pair.greeter.seen;
    const waited = second!.at - first!.at;
    assert.ok(waited >= 240 && waited < 1000, `retried after ${waited.toFixed(0)} ms`);
  });

  it("does not retry when the pushback is negative or malformed", async () => {
    for (const pushback of ["-1", "soon", "1.5"]) {
      await using pair = await flakyPair([{ code: Status.UNAVAILABLE, pushback }]);
      const error = await failure(pair.client.sayHello({ name: "a" }));
      assert.equal(error.code, Status.UNAVAILABLE, pushback);
      assert.equal(pair.greeter.seen.length, 1, pushback);
    }
  });

  it("throttles retries while too many calls fail (retryThrottling token bucket)", async () => {
    const serviceConfig = retryConfig(policy, { retryThrottling: { maxTokens: 4, tokenRatio: 0.5 } });
    await using pair = await flakyPair(unavailable(100), { serviceConfig });
    const attemptsPerCall: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = pair.greeter.seen.length;
      await failure(pair.client.sayHello({ name: "a" }));
      attemptsPerCall.push(pair.greeter.seen.length - before);
    }
    // 4 tokens: a failure takes one; at or below 2 (half) no retry. Call 1: 4→3 retry, 3→2 stop. Then 2→1, 1→0: no retries.
    assert.deepEqual(attemptsPerCall, [2, 1, 1]);
    // Successes give back 0.5 each. After 6 (0→3 tokens) a failure leaves 2: still throttled.
    pair.greeter.plan = [];
    for (let i = 0; i < 6; i++) await pair.client.sayHello({ name: "ok" });
    pair.greeter.plan = unavailable(1);
    await failure(pair.client.sayHello({ name: "b" }));
    // 3 more (2→3.5): a failure leaves 2.5, above half: retried.
    for (let i = 0; i < 3; i++) await pair.client.sayHello({ name: "ok" });
    pair.greeter.plan = unavailable(1);
    const before = pair.greeter.seen.length;
    assert.equal((await pair.client.sayHello({ name: "b" })).message, `hello b (attempt ${before + 2})`);
  });

  it("a deadline spans all attempts: the call ends at it even while waiting to retry", async () => {
    const slow: RetryPolicy = { ...policy, initialBackoff: "5s", maxBackoff: "5s", maxAttempts: 5 };
    await using pair = await flakyPair(unavailable(10), { serviceConfig: retryConfig(slow) });
    const started = performance.now();
    // random(0, 5 s) backoffs: the deadline passes during a wait (or, rarely, during a later attempt).
    const error = await failure(pair.client.sayHello({ name: "a" }, { timeout: 300 }));
    const took = performance.now() - started;
    assert.ok(took < 1500, `ended after ${took.toFixed(0)} ms`);
    assert.equal(error.code, Status.DEADLINE_EXCEEDED, String(error));
  });

  it("replays client-streaming and bidi requests on the retry, and retries server streams", async () => {
    await using pair = await flakyPair(unavailable(1));
    async function* names() {
      yield { name: "a" };
      await sleep(10);
      yield { name: "b" };
      yield { name: "c" };
    }
    assert.equal((await pair.client.lotsOfGreetings(names())).message, "a,b,c");
    assert.deepEqual(pair.greeter.seen.map((s) => [s.previous, s.requests.join("")]), [[undefined, "abc"], ["1", "abc"]]);
    pair.greeter.plan = unavailable(2);
    assert.deepEqual(await collect(pair.client.bidiHello(names())), ["hi a", "hi b", "hi c"]);
    assert.deepEqual(pair.greeter.seen.slice(2).map((s) => s.requests.join("")), ["abc", "abc", "abc"]);
    pair.greeter.plan = unavailable(1);
    assert.deepEqual(await collect(pair.client.lotsOfReplies({ name: "s", count: 2 })), ["#1", "#2"]);
    assert.equal(pair.greeter.seen.length, 7);
  });

  it("past the per-call retry buffer the call is committed: no retry", async () => {
    const big = "x".repeat(100);
    await using pair = await flakyPair(unavailable(1), { serviceConfig: retryConfig(), perCallRetryBufferBytes: 250 });
    // Two requests fit (about 103 bytes each): retried and replayed.
    assert.equal((await pair.client.lotsOfGreetings([{ name: big }, { name: big }])).message, `${big},${big}`);
    assert.equal(pair.greeter.seen.length, 2);
    // Three do not: the first failure is final.
    pair.greeter.plan = unavailable(1);
    const error = await failure(pair.client.lotsOfGreetings([{ name: big }, { name: big }, { name: big }]));
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.equal(pair.greeter.seen.length, 3);
    // A unary request larger than the buffer is never retried either.
    pair.greeter.plan = unavailable(1);
    await failure(pair.client.sayHello({ name: "y".repeat(300) }));
    assert.equal(pair.greeter.seen.length, 4);
  });

  it("past the channel-wide retry buffer the call is committed too", async () => {
    await using pair = await flakyPair(unavailable(1), { serviceConfig: retryConfig(), retryBufferBytes: 50 });
    await failure(pair.client.sayHello({ name: "z".repeat(60) }));
    assert.equal(pair.greeter.seen.length, 1);
    pair.greeter.plan = unavailable(1);
    assert.equal((await pair.client.sayHello({ name: "small" })).message, "hello small (attempt 3)");
  });

  it("methods the service config does not name are not retried; retries: false turns retries off", async () => {
    const serviceConfig: ServiceConfig = { methodConfig: [{ name: [{ service: "greeter.v1.Greeter", method: "LotsOfReplies" }], retryPolicy: policy }] };
    await using pair = await flakyPair(unavailable(1), { serviceConfig });
    await failure(pair.client.sayHello({ name: "a" }));
    assert.equal(pair.greeter.seen.length, 1);
    await using off = await flakyPair(unavailable(1), { serviceConfig: retryConfig(), retries: false });
    await failure(off.client.sayHello({ name: "a" }));
    assert.equal(off.greeter.seen.length, 1);
  });

  it("a bad service config is refused at new Channel(), naming the field", () => {
    const bad: [RetryPolicy, RegExp][] = [
      [{ ...policy, maxAttempts: 1 }, /maxAttempts must be an integer >= 2/],
      [{ ...policy, initialBackoff: "10ms" }, /initialBackoff must be a duration like "0.5s"/],
      [{ ...policy, maxBackoff: "0s" }, /maxBackoff must be > 0/],
      [{ ...policy, backoffMultiplier: 0 }, /backoffMultiplier must be > 0/],
      [{ ...policy, retryableStatusCodes: [] }, /retryableStatusCodes must be a non-empty list/],
      [{ ...policy, retryableStatusCodes: ["NOPE" as "OK"] }, /"NOPE" is not a status code/],
    ];
    for (const [retryPolicy, message] of bad) {
      assert.throws(() => new Channel("127.0.0.1:1", { serviceConfig: retryConfig(retryPolicy) }), { name: "TypeError", message });
    }
    assert.throws(() => new Channel("127.0.0.1:1", { serviceConfig: retryConfig(policy, { retryThrottling: { maxTokens: 0, tokenRatio: 1 } }) }), /maxTokens/);
    assert.throws(() => new Channel("127.0.0.1:1", { serviceConfig: { loadBalancingConfig: [{ weird: {} } as never] } }), /names no known policy/);
  });

  it("applies the method config's timeout and waitForReady", async () => {
    const serviceConfig: ServiceConfig = { methodConfig: [{ name: [{}], timeout: "0.2s", waitForReady: true }] };
    await using channel = new Channel("127.0.0.1:1", { serviceConfig, backoff: { initialBackoffMs: 20 } });
    const started = performance.now();
    const error = await failure(new GreeterClient(channel).sayHello({ name: "a" }));
    // waitForReady: it waited (not ECONNREFUSED at once) until the config's 200 ms timeout.
    assert.equal(error.code, Status.DEADLINE_EXCEEDED);
    assert.ok(performance.now() - started >= 190);
    // The call's own waitForReady: false wins over the config.
    const fast = await failure(new GreeterClient(channel).sayHello({ name: "a" }, { waitForReady: false }));
    assert.equal(fast.code, Status.UNAVAILABLE);
  });
});

describe("retries with grpc-js", () => {
  it("a grpc-js client retrying against our server: handlers see grpc-previous-rpc-attempts, our pushback trailer is honoured", async () => {
    await using pair = await flakyPair([{ code: Status.UNAVAILABLE, pushback: "150" }, { code: Status.UNAVAILABLE }]);
    const port = Number(pair.channel.target.split(":")[1]);
    const serviceConfig = { methodConfig: [{ name: [{ service: "greeter.v1.Greeter" }], retryPolicy: policy }] };
    const client = grpcJsGreeterClient(`127.0.0.1:${port}`, { "grpc.service_config": JSON.stringify(serviceConfig) });
    try {
      const reply = await new Promise<{ message: string }>((resolve, reject) =>
        client.SayHello({ name: "js" }, (error: grpc.ServiceError | null, response: { message: string }) => (error ? reject(error) : resolve(response))),
      );
      assert.equal(reply.message, "hello js (attempt 3)");
      assert.deepEqual(pair.greeter.seen.map((s) => s.previous), [undefined, "1", "2"]);
      const waited = pair.greeter.seen[1]!.at - pair.greeter.seen[0]!.at;
      assert.ok(waited >= 140, `grpc-js waited ${waited.toFixed(0)} ms after our pushback of 150`);
    } finally {
      client.close();
    }
  });

  it("our client retries a grpc-js server's UNAVAILABLE, sending grpc-previous-rpc-attempts, and honours its pushback", async () => {
    const protoDir = fileURLToPath(new URL("../../proto", import.meta.url));
    const definition = protoLoader.loadSync("greeter/v1/greeter.proto", { includeDirs: [protoDir], keepCase: true, defaults: true });
    const Greeter = (grpc.loadPackageDefinition(definition) as { greeter: { v1: { Greeter: grpc.ServiceClientConstructor } } }).greeter.v1.Greeter;
    const seen: { previous: grpc.MetadataValue | undefined; at: number }[] = [];
    const server = new grpc.Server();
    server.addService(Greeter.service, {
      SayHello(call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<{ message: string }>) {
        seen.push({ previous: call.metadata.get("grpc-previous-rpc-attempts")[0], at: performance.now() });
        if (seen.length === 1) {
          const trailer = new grpc.Metadata();
          trailer.set("grpc-retry-pushback-ms", "150");
          callback({ code: grpc.status.UNAVAILABLE, details: "try later", metadata: trailer });
        } else if (seen.length === 2) {
          callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: "still busy" });
        } else {
          callback(null, { message: `hello ${call.request.name}` });
        }
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    try {
      await using channel = new Channel(`127.0.0.1:${port}`, { serviceConfig: retryConfig() });
      assert.equal((await new GreeterClient(channel).sayHello({ name: "js" })).message, "hello js");
      assert.deepEqual(seen.map((s) => s.previous), [undefined, "1", "2"]);
      assert.ok(seen[1]!.at - seen[0]!.at >= 140, `pushback honoured: ${(seen[1]!.at - seen[0]!.at).toFixed(0)} ms`);
    } finally {
      server.forceShutdown();
    }
  });
});
