// Load balancing over several real servers: pick_first and round_robin, servers killed and restarted mid-test.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, ConnectivityState, GrpcError, Status, type ChannelOptions } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { eventually, sleep } from "../runtime/harness.js";
import { ipv4Target, startServers } from "./servers.js";

const fast: ChannelOptions["backoff"] = { initialBackoffMs: 30, maxBackoffMs: 100 };

/** Which server answered each of `n` unary calls, counted by label. */
async function spread(client: GreeterClient, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const { message } = await client.sayHello({ name: "x" });
    counts[message] = (counts[message] ?? 0) + 1;
  }
  return counts;
}

/** Waits until `n` calls in a row reach every one of `labels`. */
async function eventuallyAll(client: GreeterClient, labels: string[], n: number): Promise<Record<string, number>> {
  let counts: Record<string, number> = {};
  for (let tries = 0; tries < 100; tries++) {
    counts = await spread(client, n);
    if (labels.every((label) => (counts[label] ?? 0) > 0)) return counts;
    await sleep(20);
  }
  assert.fail(`calls never reached all of ${labels.join(", ")}: ${JSON.stringify(counts)}`);
}

describe("pick_first", () => {
  it("sends every call to the first address that connects, and moves on when it dies", async () => {
    await using servers = await startServers(3);
    await using channel = new Channel(ipv4Target(servers), { backoff: fast });
    const client = new GreeterClient(channel);
    assert.deepEqual(await spread(client, 12), { s0: 12 });
    await servers[0]!.kill();
    // The connection is gone: IDLE, and the next call starts over from the first address, which refuses.
    assert.deepEqual(await spread(client, 6), { s1: 6 });
    assert.equal(channel.state, ConnectivityState.READY);
  });
});

describe("round_robin", () => {
  it("spreads calls evenly over every server (ChannelOptions.loadBalancing, or the service config)", async () => {
    await using servers = await startServers(3);
    for (const options of [
      { loadBalancing: "round_robin" } as const,
      { serviceConfig: { loadBalancingConfig: [{ round_robin: {} }] } },
    ]) {
      await using channel = new Channel(ipv4Target(servers), options);
      const client = new GreeterClient(channel);
      // Once all three connections are up, calls go to each in turn.
      await eventuallyAll(client, ["s0", "s1", "s2"], 3);
      assert.deepEqual(await spread(client, 30), { s0: 10, s1: 10, s2: 10 });
    }
  });

  it("keeps serving through the others while a server is killed, and uses it again once restarted", async () => {
    await using servers = await startServers(3);
    await using channel = new Channel(ipv4Target(servers), { loadBalancing: "round_robin", backoff: fast });
    const client = new GreeterClient(channel);
    await eventuallyAll(client, ["s0", "s1", "s2"], 3);
    await servers[1]!.kill();
    // Every call succeeds: the dead server's connection is dropped from the rotation.
    const during = await spread(client, 20);
    assert.equal(during["s1"], undefined, JSON.stringify(during));
    assert.equal((during["s0"] ?? 0) + (during["s2"] ?? 0), 20);
    assert.ok(during["s0"]! >= 8 && during["s2"]! >= 8, JSON.stringify(during));
    assert.equal(channel.state, ConnectivityState.READY);
    await sleep(150); // a few reconnect attempts fail meanwhile
    await servers[1]!.start();
    // Restarted on the same port: the channel reconnects (after its backoff) and sends it calls again.
    await eventuallyAll(client, ["s0", "s1", "s2"], 3);
    assert.deepEqual(await spread(client, 9), { s0: 3, s1: 3, s2: 3 });
  });

  it("a server killed mid-stream: its stream fails UNAVAILABLE, new calls go to the others, the restarted server rejoins", async () => {
    await using servers = await startServers(3);
    await using channel = new Channel(ipv4Target(servers), { loadBalancing: "round_robin", backoff: fast });
    const client = new GreeterClient(channel);
    await eventuallyAll(client, ["s0", "s1", "s2"], 3);
    // One endless stream on each server.
    const streams = [0, 1, 2].map(() => client.lotsOfReplies({ name: "10", count: 0 }));
    const firsts = await Promise.all(streams.map(async (stream) => (await stream[Symbol.asyncIterator]().next()).value!.message));
    assert.deepEqual([...firsts].map((m) => m.split("#")[0]).sort(), ["s0", "s1", "s2"]);
    const onS1 = streams[firsts.findIndex((m) => m.startsWith("s1#"))]!;
    await servers[1]!.kill();
    const error = await (async () => {
      try {
        for await (const _ of onS1);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
    // The streams on the other servers go on.
    for (const stream of streams.filter((s) => s !== onS1)) {
      const next = await stream[Symbol.asyncIterator]().next();
      assert.equal(next.done, false);
    }
    const during = await spread(client, 10);
    assert.deepEqual(Object.keys(during).sort(), ["s0", "s2"]);
    // New streams also go to the live servers.
    const fresh = client.bidiHello([{ name: "a" }]);
    for await (const reply of fresh) assert.match(reply.message, /^s[02]:a$/);
    await servers[1]!.start();
    await eventuallyAll(client, ["s0", "s1", "s2"], 3);
    const again = [];
    for await (const reply of client.lotsOfReplies({ name: "0", count: 2 })) again.push(reply.message);
    assert.equal(again.length, 2);
    for (const stream of streams) stream.cancel();
  });

  it("with every server down: TRANSIENT_FAILURE, calls fail fast with the reason; back to READY when one returns", async () => {
    await using servers = await startServers(2);
    await using channel = new Channel(ipv4Target(servers), { loadBalancing: "round_robin", backoff: fast });
    const client = new GreeterClient(channel);
    await eventuallyAll(client, ["s0", "s1"], 2);
    await Promise.all(servers.map((s) => s.kill()));
    await eventually(() => channel.state === ConnectivityState.TRANSIENT_FAILURE, 3000, "TRANSIENT_FAILURE");
    const error = await client.sayHello({ name: "x" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
    assert.match(error.rawMessage, /ECONNREFUSED 127\.0\.0\.1:\d+/);
    await servers[0]!.start();
    assert.equal((await client.sayHello({ name: "x" }, { waitForReady: true, timeout: 5000 })).message, "s0");
  });
});
