// Fault rules (seed 004: error, delay, drop by method glob), server side and client side, over real HTTP/2.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, FaultInjector, Server, Status, fault, type ServerCallStatus, type ServerInterceptor } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { assertQuotedInReadme, eventually, sleep, startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "../interceptors/fixtures.js";

const SAY_HELLO = "/greeter.v1.Greeter/SayHello";

/** Every call of all four kinds on `client`, each settled: the status code or message of each. */
async function allKinds(client: GreeterClient): Promise<(string | number)[]> {
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => "ok",
      (error: { code: number; rawMessage: string }) => `${error.code} ${error.rawMessage}`,
    );
  return Promise.all([
    outcome(client.sayHello({ name: "a" })),
    outcome(texts(client.lotsOfReplies({ name: "b", count: 2 }))),
    outcome(client.lotsOfGreetings([{ name: "c" }])),
    outcome(texts(client.bidiHello([{ name: "d" }]))),
  ]);
}

/** Records how every server call ended. */
function statusRecorder(): { interceptor: ServerInterceptor; ended: { path: string; status: ServerCallStatus; at: number }[] } {
  const ended: { path: string; status: ServerCallStatus; at: number }[] = [];
  return {
    ended,
    interceptor: (next) => (call, requests) => {
      void call.status.then((status) => ended.push({ path: call.path, status, at: performance.now() }));
      return next(call, requests);
    },
  };
}

describe("fault rules on the server", () => {
  it("error: every matching call gets the status and message, on all four kinds, and the handler never runs", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector();
    const rule = faults.add(fault.error({ method: "/greeter.v1.Greeter/*", status: Status.UNAVAILABLE, message: "service unavailable" }));
    await using pair = await startPair(service, { interceptors: [faults.server()] });
    assert.deepEqual(await allKinds(new GreeterClient(pair.channel)), Array(4).fill("14 service unavailable"));
    assert.equal(service.handled, 0);
    assert.equal(rule.hits, 4);
  });

  it("drop: UNAVAILABLE \"connection dropped\", the handler never runs; other methods still work", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector([fault.drop({ method: SAY_HELLO })]);
    await using pair = await startPair(service, { interceptors: [faults.server()] });
    const client = new GreeterClient(pair.channel);
    assert.deepEqual(await allKinds(client), ["14 connection dropped", "ok", "ok", "ok"]);
    assert.deepEqual(service.requestsSeen.sort(), ["b", "c", "d"]);
    assert.equal(faults.rules[0]!.hits, 1);
  });

  it("delay: matching calls take at least the delay, then run, on all four kinds", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector([fault.delay({ method: "*", ms: 150 })]);
    await using pair = await startPair(service, { interceptors: [faults.server()] });
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "warm-up" }); // the connection is made outside the measured calls
    const started = performance.now();
    assert.deepEqual(await allKinds(client), ["ok", "ok", "ok", "ok"]);
    const took = performance.now() - started;
    assert.ok(took >= 148, `four concurrent delayed calls took ${took.toFixed(1)} ms`);
    const one = performance.now();
    await client.sayHello({ name: "one" });
    const single = performance.now() - one;
    assert.ok(single >= 148 && single < 1_500, `a delayed call took ${single.toFixed(1)} ms`);
    assert.equal(service.handled, 6);
    assert.equal(faults.rules[0]!.hits, 6);
  });

  it("delay: the call's deadline still applies, and a cancel ends the delay; the handler never runs", async () => {
    const service = new RecordingGreeter();
    const recorder = statusRecorder();
    const faults = new FaultInjector([fault.delay({ method: "*", ms: 2_000 })]);
    await using pair = await startPair(service, { interceptors: [recorder.interceptor, faults.server()] });
    const client = new GreeterClient(pair.channel);
    const started = performance.now();
    await assert.rejects(client.sayHello({ name: "a" }, { timeout: 100 }), { code: Status.DEADLINE_EXCEEDED });
    const took = performance.now() - started;
    assert.ok(took >= 95 && took < 1_500, `deadline hit after ${took.toFixed(1)} ms`);
    const open = client.open.bidiHello();
    await open.send({ name: "x" });
    await eventually(() => faults.rules[0]!.hits === 2);
    open.cancel();
    await eventually(() => recorder.ended.length === 2);
    // The server's deadline timer and the client's (which resets the stream) race: either ends the call, long before the 2 s delay.
    const [deadlined, cancelled] = recorder.ended;
    assert.ok(deadlined!.status.code === Status.DEADLINE_EXCEEDED || deadlined!.status.code === Status.CANCELLED, deadlined!.status.message);
    assert.ok(deadlined!.at - started < 1_500, `the server call ended ${(deadlined!.at - started).toFixed(1)} ms after the start`);
    assert.equal(cancelled!.status.code, Status.CANCELLED);
    assert.ok(cancelled!.at - started < 1_900, "the cancel ended the delay");
    await sleep(50);
    assert.equal(service.handled, 0);
  });

  it("are taken in order: delays add up, the first error or drop ends the call and later rules are not triggered", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector();
    const slow = faults.add(fault.delay({ method: "*", ms: 60 }));
    const notFound = faults.add(fault.error({ method: SAY_HELLO, status: Status.NOT_FOUND, message: "order not found" }));
    const dropAll = faults.add(fault.drop({ method: "*" }));
    await using pair = await startPair(service, { interceptors: [faults.server()] });
    const client = new GreeterClient(pair.channel);
    await client.lotsOfGreetings([{ name: "warm-up" }]).catch(() => {});
    const started = performance.now();
    await assert.rejects(client.sayHello({ name: "a" }), { code: Status.NOT_FOUND, rawMessage: "order not found" });
    assert.ok(performance.now() - started >= 58);
    assert.deepEqual([slow.hits, notFound.hits, dropAll.hits], [2, 1, 1]);
  });

  it("can be added, removed and turned off and on while calls run; hits count only triggered rules", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector();
    await using pair = await startPair(service, { interceptors: [faults.server()] });
    const client = new GreeterClient(pair.channel);
    const say = () => client.sayHello({ name: "x" }).then((r) => r.message, (e: { code: number }) => e.code);
    assert.equal(await say(), "hello x");
    const rule = faults.add(fault.error({ method: SAY_HELLO, status: Status.INTERNAL, message: "boom" }));
    assert.equal(await say(), Status.INTERNAL);
    rule.enabled = false;
    assert.equal(await say(), "hello x");
    rule.enabled = true;
    assert.equal(await say(), Status.INTERNAL);
    faults.enabled = false;
    assert.equal(await say(), "hello x");
    faults.enabled = true;
    assert.equal(faults.remove(rule), true);
    assert.equal(faults.remove(rule), false);
    assert.equal(await say(), "hello x");
    assert.equal(rule.hits, 2);
    rule.resetHits();
    assert.equal(rule.hits, 0);
    faults.add(fault.drop({ method: "*" }));
    faults.clear();
    assert.equal(await say(), "hello x");
    assert.equal(service.handled, 5);
  });
});

describe("fault rules on the client", () => {
  it("error and drop: the call fails before anything is sent, on all four kinds", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector([
      fault.drop({ method: SAY_HELLO }),
      fault.error({ method: "/greeter.v1.Greeter/*", status: Status.UNAVAILABLE, message: "service unavailable" }),
    ]);
    const calls: string[] = [];
    const seen: ServerInterceptor = (next) => (call, requests) => {
      calls.push(call.path);
      return next(call, requests);
    };
    await using pair = await startPair(service, { interceptors: [seen] }, { interceptors: [faults.client()] });
    assert.deepEqual(await allKinds(new GreeterClient(pair.channel)), [
      "14 connection dropped",
      "14 service unavailable",
      "14 service unavailable",
      "14 service unavailable",
    ]);
    assert.deepEqual(calls, []);
    assert.deepEqual(faults.rules.map((r) => r.hits), [1, 3]);
  });

  it("delay: the call goes out after the delay, with only the rest of its deadline", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector([fault.delay({ method: "*", ms: 150 })]);
    await using pair = await startPair(service, undefined, { interceptors: [faults.client()] });
    const client = new GreeterClient(pair.channel);
    const started = Date.now();
    assert.deepEqual(await allKinds(client), ["ok", "ok", "ok", "ok"]);
    assert.ok(Date.now() - started >= 148);
    const before = Date.now();
    await client.sayHello({ name: "timed" }, { timeout: 3_000 });
    const took = Date.now() - before;
    assert.ok(took >= 148, `delayed call took ${took} ms`);
    const deadline = service.calls.at(-1)!.deadline!;
    assert.ok(deadline <= before + 3_050, `the server saw ${deadline - before} ms from the start of the call, not 3000 + the delay`);
  });

  it("delay: a deadline shorter than the delay fails with DEADLINE_EXCEEDED, and a cancel with CANCELLED, without reaching the server", async () => {
    const service = new RecordingGreeter();
    const faults = new FaultInjector([fault.delay({ method: "*", ms: 5_000 })]);
    await using pair = await startPair(service, undefined, { interceptors: [faults.client()] });
    const client = new GreeterClient(pair.channel);
    let started = performance.now();
    await assert.rejects(client.sayHello({ name: "a" }, { timeout: 100 }), {
      code: Status.DEADLINE_EXCEEDED,
      rawMessage: "deadline exceeded during an injected delay of 5000ms",
    });
    let took = performance.now() - started;
    assert.ok(took >= 95 && took < 1_500, `took ${took.toFixed(1)} ms`);
    const controller = new AbortController();
    started = performance.now();
    const call = texts(client.bidiHello([{ name: "b" }], { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(call, { code: Status.CANCELLED });
    took = performance.now() - started;
    assert.ok(took < 1_500, `cancel took ${took.toFixed(1)} ms`);
    assert.equal(service.handled, 0);
  });
});

describe("FaultInjector.fromJSON", () => {
  it("reads seed 004's rules and writes them back", () => {
    const json = [
      { kind: "error", method: "/pkg.Svc/*", status: 14, message: "service unavailable" },
      { kind: "delay", method: "*", ms: 200 },
      { kind: "drop", method: "/pkg.Svc/Create" },
    ];
    const faults = FaultInjector.fromJSON(JSON.parse(JSON.stringify(json)));
    assert.deepEqual(JSON.parse(JSON.stringify(faults.rules)), json);
    assert.deepEqual(faults.rules.map((r) => [r.kind, r.status, r.message, r.ms]), [
      ["error", 14, "service unavailable", undefined],
      ["delay", undefined, undefined, 200],
      ["drop", 14, "connection dropped", undefined],
    ]);
    assert.equal(FaultInjector.fromJSON([{ kind: "error", method: "*", status: 5 }]).rules[0]!.message, "");
  });

  it("refuses bad rules up front, naming the rule and the field", () => {
    const bad: [unknown, RegExp][] = [
      [{}, /fault rules: expected a JSON array of rules, got object/],
      [null, /expected a JSON array of rules, got null/],
      [[1], /fault rule 0: expected an object, got 1/],
      [[{ method: "*" }], /fault rule 0: "kind" must be "error", "delay" or "drop", got nothing/],
      [[{ kind: "delay", method: "*", ms: 1 }, { kind: "explode", method: "*" }], /fault rule 1: "kind" must be .* got "explode"/],
      [[{ kind: "delay", method: "*", delay: "5s" }], /fault rule 0: unknown field "delay" for a delay rule \(allowed: kind, method, ms\)/],
      [[{ kind: "delay", method: "*", ms: "5s" }], /fault rule 0: "ms" must be a number of milliseconds from 0 to 2147483647, got "5s"/],
      [[{ kind: "delay", method: "*", ms: -1 }], /"ms" must be/],
      [[{ kind: "delay", method: "*" }], /"ms" must be .* got nothing/],
      [[{ kind: "error", method: "*", status: 0 }], /"status" must be a gRPC status code from 1 to 16, got 0/],
      [[{ kind: "error", method: "*", status: 17 }], /"status" must be/],
      [[{ kind: "error", method: "*", status: "14" }], /"status" must be .* got "14"/],
      [[{ kind: "error", method: "*", status: 14, message: 5 }], /"message" must be a string, got 5/],
      [[{ kind: "drop", method: "" }], /"method" must be a non-empty string/],
      [[{ kind: "drop" }], /"method" must be a non-empty string .* got nothing/],
      [[{ kind: "drop", method: "pkg.Svc/Create" }], /"method" must start with "\/"/],
      [[{ kind: "drop", method: "*", status: 14 }], /unknown field "status" for a drop rule/],
    ];
    for (const [value, message] of bad) assert.throws(() => FaultInjector.fromJSON(value), message, JSON.stringify(value));
    // The makers check too, for callers without types.
    assert.throws(() => fault.delay({ method: "*", ms: Number.NaN }), /"ms" must be/);
    assert.throws(() => new FaultInjector().add({} as never), /expected rules made by fault/);
  });
});

describe("README: fault injection", () => {
  it("is quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["faults-server", "faults-runtime"]);
  });

  it("runs", async () => {
    // #region readme faults-server
    const faults = new FaultInjector([fault.delay({ method: "*", ms: 50 })]); // or FaultInjector.fromJSON(rules)
    const server = new Server({ interceptors: [faults.server()] }).add(new GreeterService());
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    await using channel = new Channel(`127.0.0.1:${port}`);
    const greeter = new GreeterClient(channel);
    try {
      const started = performance.now();
      // #region readme faults-runtime
      const outage = faults.add(fault.error({ method: "/greeter.v1.Greeter/*", status: Status.UNAVAILABLE, message: "service unavailable" }));
      await assert.rejects(greeter.sayHello({ name: "Ada" }), { code: Status.UNAVAILABLE, rawMessage: "service unavailable" });
      outage.enabled = false; // or faults.remove(outage)
      assert.equal((await greeter.sayHello({ name: "Ada" })).message, "Hello, Ada!"); // after the 50 ms delay
      assert.equal(outage.hits, 1);
      // #endregion
      assert.ok(performance.now() - started >= 98);
      assert.equal(faults.rules[0]!.hits, 2);
    } finally {
      await server.forceClose();
    }
  });
});
