// tsgrpc/otel with the real OpenTelemetry metrics SDK: the histograms and attributes of the RPC semantic conventions.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MeterProvider, MetricReader, DataPointType, type HistogramMetricData } from "@opentelemetry/sdk-metrics";
import { Channel, Server, Status } from "tsgrpc";
import { otelClientMetrics, otelServerMetrics } from "tsgrpc/otel";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { assertQuotedInReadme, startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

/** A reader the test collects from when it wants (no export, no timer). */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function histogram(reader: MetricReader, name: string): Promise<HistogramMetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) {
        assert.equal(metric.dataPointType, DataPointType.HISTOGRAM);
        return metric as HistogramMetricData;
      }
    }
  }
  return undefined;
}

describe("tsgrpc/otel", () => {
  it("is the only part of the runtime that imports @opentelemetry/api (an optional peer dependency)", () => {
    const runtime = fileURLToPath(new URL("../../runtime/", import.meta.url));
    const importers = readdirSync(runtime, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .filter((file) => /from "@opentelemetry\//.test(readFileSync(join(runtime, file), "utf8")));
    assert.deepEqual(importers, ["otel/otel-metrics.ts"]);
    assert.doesNotMatch(readFileSync(join(runtime, "index.ts"), "utf8"), /otel/);
  });

  it("records rpc.server.duration and rpc.client.duration in ms with rpc.system, rpc.service, rpc.method and rpc.grpc.status_code", async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter("test");
    await using pair = await startPair(
      new RecordingGreeter(),
      { interceptors: [otelServerMetrics({ meter })] },
      { interceptors: [otelClientMetrics({ meter })] },
    );
    const client = new GreeterClient(pair.channel);
    await client.sayHello({ name: "a" });
    await client.sayHello({ name: "b" });
    await assert.rejects(client.sayHello({ name: "unavailable" }), { code: Status.UNAVAILABLE });
    await texts(client.bidiHello([{ name: "c" }]));
    for (const side of ["server", "client"] as const) {
      let data: HistogramMetricData | undefined;
      for (let i = 0; i < 100; i++) {
        data = await histogram(reader, `rpc.${side}.duration`);
        if (data?.dataPoints.reduce((n, p) => n + p.value.count, 0) === 4) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(data, `no rpc.${side}.duration`);
      assert.equal(data.descriptor.unit, "ms");
      const points = data.dataPoints
        .map((p) => ({ attributes: p.attributes, count: p.value.count }))
        .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
      const attributes = (method: string, code: number) => ({
        "rpc.system": "grpc",
        "rpc.service": "greeter.v1.Greeter",
        "rpc.method": method,
        "rpc.grpc.status_code": code,
      });
      assert.deepEqual(points, [
        { attributes: attributes("BidiHello", 0), count: 1 },
        { attributes: attributes("SayHello", 0), count: 2 },
        { attributes: attributes("SayHello", 14), count: 1 },
      ]);
      assert.ok(data.dataPoints.every((p) => p.value.sum !== undefined && p.value.sum >= 0));
    }
    await provider.shutdown();
  });

  it("README example is quoted verbatim in README.md", () => {
    assertQuotedInReadme(import.meta.url, ["otel"]);
  });

  it("README example: uses the global MeterProvider when given no meter", async () => {
    const { metrics } = await import("@opentelemetry/api");
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    // #region readme otel
    const server = new Server({ interceptors: [otelServerMetrics()] }).add(new GreeterService()); // rpc.server.duration
    // #endregion
    metrics.setGlobalMeterProvider(provider); // after making the interceptor: the meter is looked up at the first call
    try {
      const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
      await using channel = new Channel(`127.0.0.1:${port}`, { interceptors: [otelClientMetrics()] }); // rpc.client.duration
      try {
        await new GreeterClient(channel).sayHello({ name: "Ada" });
        let count = 0;
        for (let i = 0; i < 100 && count < 1; i++) {
          count = (await histogram(reader, "rpc.server.duration"))?.dataPoints[0]?.value.count ?? 0;
          if (count < 1) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(count, 1);
        assert.equal((await histogram(reader, "rpc.client.duration"))?.dataPoints[0]?.value.count, 1);
      } finally {
        await server.forceClose();
      }
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
  });
});
