// The ready-made metrics interceptors and MetricsRegistry, server and client, over real HTTP/2.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, MetricsRegistry, Server, Status, clientMetrics, serverMetrics, type ServerCall } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { assertQuotedInReadme, eventually, sleep, startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

class Greeter extends RecordingGreeter {
  override async sayHello(request: HelloRequest, call: ServerCall) {
    if (request.name === "slow") await sleep(100);
    return super.sayHello(request, call);
  }
}

const G = "greeter.v1.Greeter";

describe("serverMetrics and clientMetrics with a MetricsRegistry", () => {
  it("count started and handled calls by service, method and code, on all four kinds, both sides", async () => {
    const server = new MetricsRegistry();
    const client = new MetricsRegistry();
    await using pair = await startPair(new Greeter(), { interceptors: [serverMetrics(server)] }, { interceptors: [clientMetrics(client)] });
    const greeter = new GreeterClient(pair.channel);
    await greeter.sayHello({ name: "a" });
    await greeter.sayHello({ name: "b" });
    await assert.rejects(greeter.sayHello({ name: "unavailable" }), { code: Status.UNAVAILABLE });
    await texts(greeter.lotsOfReplies({ name: "c", count: 2 }));
    await greeter.lotsOfGreetings([{ name: "d" }]);
    await texts(greeter.bidiHello([{ name: "e" }]));
    await eventually(() => server.snapshot().handled.reduce((n, h) => n + h.value, 0) === 6);
    for (const registry of [server, client]) {
      const snapshot = registry.snapshot();
      assert.deepEqual(snapshot.started, [
        { labels: { service: G, method: "BidiHello" }, value: 1 },
        { labels: { service: G, method: "LotsOfGreetings" }, value: 1 },
        { labels: { service: G, method: "LotsOfReplies" }, value: 1 },
        { labels: { service: G, method: "SayHello" }, value: 3 },
      ]);
      assert.deepEqual(snapshot.handled, [
        { labels: { service: G, method: "BidiHello", code: "OK" }, value: 1 },
        { labels: { service: G, method: "LotsOfGreetings", code: "OK" }, value: 1 },
        { labels: { service: G, method: "LotsOfReplies", code: "OK" }, value: 1 },
        { labels: { service: G, method: "SayHello", code: "OK" }, value: 2 },
        { labels: { service: G, method: "SayHello", code: "UNAVAILABLE" }, value: 1 },
      ]);
      assert.ok(snapshot.inFlight.every((g) => g.value === 0));
      assert.equal(snapshot.latency.length, 5);
      assert.equal(snapshot.latency.find((h) => h.labels.method === "SayHello" && h.labels.code === "OK")!.count, 2);
    }
  });

  it("keep an in-flight gauge while calls are open, including a cancelled one", async () => {
    const server = new MetricsRegistry();
    const client = new MetricsRegistry();
    await using pair = await startPair(new Greeter(), { interceptors: [serverMetrics(server)] }, { interceptors: [clientMetrics(client)] });
    const greeter = new GreeterClient(pair.channel);
    const bidi = (registry: MetricsRegistry) => registry.snapshot().inFlight.find((g) => g.labels.method === "BidiHello")?.value;
    const open = greeter.open.bidiHello();
    await open.send({ name: "x" });
    assert.equal((await open.receive())?.message, "echo x");
    const second = greeter.open.bidiHello();
    await second.send({ name: "y" });
    await second.receive();
    await eventually(() => bidi(server) === 2);
    assert.equal(bidi(client), 2);
    open.end();
    assert.equal(await open.receive(), undefined);
    second.cancel();
    await eventually(() => bidi(server) === 0 && bidi(client) === 0);
    const handled = server.snapshot().handled.map((h) => [h.labels.method, h.labels.code, h.value]);
    assert.deepEqual(handled, [
      ["BidiHello", "CANCELLED", 1],
      ["BidiHello", "OK", 1],
    ]);
  });

  it("put latencies in histogram buckets", async () => {
    const server = new MetricsRegistry({ buckets: [50, 1000] });
    await using pair = await startPair(new Greeter(), { interceptors: [serverMetrics(server)] });
    const greeter = new GreeterClient(pair.channel);
    await greeter.sayHello({ name: "fast" });
    await greeter.sayHello({ name: "slow" });
    await eventually(() => server.snapshot().latency[0]?.count === 2);
    const [histogram] = server.snapshot().latency;
    assert.deepEqual(histogram!.bounds, [50, 1000]);
    // The slow call takes at least 100 ms, so it is never in the first bucket (<= 50 ms); the fast one usually is.
    assert.equal(histogram!.counts.reduce((a, b) => a + b, 0), 2);
    assert.ok(histogram!.counts[0]! <= 1 && histogram!.counts[1]! + histogram!.counts[2]! >= 1, `counts ${histogram!.counts}`);
    assert.ok(histogram!.sumMs >= 100, `sum ${histogram!.sumMs}`);
    assert.throws(() => new MetricsRegistry({ buckets: [10, 5] }), /ascending/);
  });

  it("README examples are quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["ready-metrics", "ready-metrics-snapshot"]);
  });

  it("README example: a registry on the server", async () => {
    // #region readme ready-metrics
    const metrics = new MetricsRegistry(); // or your own MetricsSink: { started(labels), handled(labels, durationMs) }
    const server = new Server({ interceptors: [serverMetrics(metrics)] }).add(new GreeterService());
    // #endregion
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    await using channel = new Channel(`127.0.0.1:${port}`);
    try {
      await new GreeterClient(channel).sayHello({ name: "Ada" });
      await eventually(() => metrics.snapshot().handled.length === 1);
      // #region readme ready-metrics-snapshot
      const { started, handled, inFlight, latency } = metrics.snapshot();
      // handled: [{ labels: { service: "greeter.v1.Greeter", method: "SayHello", code: "OK" }, value: 1 }]
      // latency: [{ labels, bounds: [0, 5, 10, 25, ...] (ms), counts: [...], count: 1, sumMs }]
      // #endregion
      assert.deepEqual(handled, [{ labels: { service: G, method: "SayHello", code: "OK" }, value: 1 }]);
      assert.deepEqual(started, [{ labels: { service: G, method: "SayHello" }, value: 1 }]);
      assert.deepEqual(inFlight, [{ labels: { service: G, method: "SayHello" }, value: 0 }]);
      assert.equal(latency[0]!.count, 1);
    } finally {
      await server.forceClose();
    }
  });
});
