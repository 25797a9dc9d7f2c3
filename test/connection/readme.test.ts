// The README's production-setup examples for targets, load balancing, connectivity and retries: each
// `// #region readme` below is quoted verbatim in README.md (the first test checks that), and runs here.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, ConnectivityState, GrpcError, Server, Status, type ServiceConfig } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { assertQuotedInReadme, sleep } from "../runtime/harness.js";
import { LabelledGreeter, startServers, TestServer } from "./servers.js";

describe("README production setup", () => {
  it("quotes every region of this file", () => {
    assertQuotedInReadme(import.meta.url, ["round-robin", "wait-for-ready", "retries"]);
  });

  it("round_robin over a list of addresses", async () => {
    await using servers = await startServers(2);
    const [portA, portB] = servers.map((s) => s.port);
    // #region readme round-robin
    await using channel = new Channel(`ipv4:127.0.0.1:${portA},127.0.0.1:${portB}`, { loadBalancing: "round_robin" });
    const client = new GreeterClient(channel);
    const servedBy = new Set<string>();
    // Each test server answers with its name.
    for (let i = 0; i < 10; i++) servedBy.add((await client.sayHello({ name: "lb" })).message);
    // #endregion
    assert.deepEqual([...servedBy].sort(), ["s0", "s1"]);
  });

  it("fail fast while the server is down, waitForReady to wait for it", async () => {
    const server = new TestServer("late");
    const gone = await new TestServer("gone").start();
    await gone.kill();
    server.port = gone.port;
    const port = server.port;
    // Up in 600 ms: after the first call has failed, before the waiting one's deadline.
    const starting = sleep(600).then(() => server.start());
    try {
      // #region readme wait-for-ready
      const channel = new Channel(`127.0.0.1:${port}`, { backoff: { initialBackoffMs: 100 } });
      const states: ConnectivityState[] = [];
      channel.onStateChange((state) => states.push(state));
      const client = new GreeterClient(channel);

      // The server is down: the call fails at once, saying why.
      await assert.rejects(client.sayHello({ name: "now" }), {
        code: Status.UNAVAILABLE,
        message: `UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:${port}`,
      });

      // This one waits (up to its deadline) until the channel is READY.
      const reply = await client.sayHello({ name: "later" }, { waitForReady: true, timeout: 10_000 });
      assert.deepEqual(states.slice(0, 3), ["CONNECTING", "TRANSIENT_FAILURE", "READY"]);
      await channel.close(); // SHUTDOWN
      // #endregion
      assert.equal(reply.message, "late");
    } finally {
      await starting;
      await server.kill();
    }
  });

  it("retries from a service config", async () => {
    let failures = 2;
    const server = new Server().add(
      new (class extends LabelledGreeter {
        override async sayHello() {
          if (failures-- > 0) throw new GrpcError(Status.UNAVAILABLE, "warming up");
          return { message: "ready" };
        }
      })("warming"),
    );
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const target = `127.0.0.1:${port}`;
    try {
      // #region readme retries
      const serviceConfig: ServiceConfig = {
        methodConfig: [
          {
            name: [{ service: "greeter.v1.Greeter" }], // every method; add `method: "SayHello"` for one
            retryPolicy: {
              maxAttempts: 4,
              initialBackoff: "0.1s",
              maxBackoff: "1s",
              backoffMultiplier: 2,
              retryableStatusCodes: ["UNAVAILABLE"],
            },
          },
        ],
        retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
      };
      await using channel = new Channel(target, { serviceConfig });
      const reply = await new GreeterClient(channel).sayHello({ name: "x" }); // UNAVAILABLE twice, then OK
      // #endregion
      assert.equal(reply.message, "ready");
      assert.equal(failures, -1);
    } finally {
      await server.forceClose();
    }
  });
});
