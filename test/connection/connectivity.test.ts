// Connectivity states, reconnect backoff, fail-fast vs waitForReady, connect timeout, idle timeout and close.
import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, it } from "node:test";
import { Channel, ConnectivityState, GrpcError, Status, type ChannelOptions } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { ConnectionBackoff, DEFAULT_BACKOFF } from "../../runtime/client/backoff.js";
import { eventually, sleep } from "../runtime/harness.js";
import { TestServer } from "./servers.js";

const { IDLE, CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN } = ConnectivityState;

/** A port nothing listens on (a server was there a moment ago). */
async function deadPort(): Promise<number> {
  const server = await new TestServer("gone").start();
  await server.kill();
  return server.port;
}

/** A TCP listener that counts connections and does what `onSocket` says with each (default: nothing, ever). */
async function rawListener(onSocket: (socket: net.Socket) => void = () => {}) {
  const times: number[] = [];
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((socket) => {
    times.push(performance.now());
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  return {
    port: (listener.address() as net.AddressInfo).port,
    times,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => listener.close(resolve));
    },
  };
}

function recordStates(channel: Channel): ConnectivityState[] {
  const states: ConnectivityState[] = [channel.state];
  channel.onStateChange((state) => states.push(state));
  return states;
}

const fast: ChannelOptions = { backoff: { initialBackoffMs: 50, maxBackoffMs: 200, minConnectTimeoutMs: 2000 } };

describe("connectivity states", () => {
  it("IDLE until asked, CONNECTING, READY; getState(true) and waitForStateChange; close() is SHUTDOWN", async () => {
    await using server = Object.assign(await new TestServer("s").start(), { [Symbol.asyncDispose]: () => server.kill() });
    const channel = new Channel(`127.0.0.1:${server.port}`);
    const states = recordStates(channel);
    await sleep(20);
    assert.equal(channel.state, IDLE, "a channel does not connect until it is used");
    assert.equal(channel.getState(true), CONNECTING);
    assert.equal(await channel.waitForStateChange(CONNECTING), READY);
    assert.equal(await channel.waitForStateChange(CONNECTING), READY, "resolves at once when the state already differs");
    await new GreeterClient(channel).sayHello({ name: "x" });
    await channel.close();
    assert.deepEqual(states, [IDLE, CONNECTING, READY, SHUTDOWN]);
    assert.equal(channel.getState(true), SHUTDOWN, "SHUTDOWN is final");
    const late = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
    assert.ok(late instanceof GrpcError && late.code === Status.UNAVAILABLE && /channel is closed/.test(late.message), String(late));
  });

  it("waitForStateChange rejects with the signal's reason when aborted", async () => {
    await using channel = new Channel("127.0.0.1:1");
    const controller = new AbortController();
    const waiting = channel.waitForStateChange(IDLE, controller.signal);
    controller.abort(new Error("gave up"));
    await assert.rejects(waiting, /gave up/);
  });
});

describe("fail fast and waitForReady", () => {
  it("a call to a server that is down fails fast with UNAVAILABLE and the connect error", async () => {
    const port = await deadPort();
    await using channel = new Channel(`127.0.0.1:${port}`);
    const states = recordStates(channel);
    const started = performance.now();
    const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
    const took = performance.now() - started;
    assert.ok(error instanceof GrpcError, String(error));
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.equal(error.rawMessage, `connect ECONNREFUSED 127.0.0.1:${port}`);
    assert.ok(took < 1000, `failed after ${took.toFixed(0)} ms`);
    assert.deepEqual(states, [IDLE, CONNECTING, TRANSIENT_FAILURE]);
    // In TRANSIENT_FAILURE, the next call fails at once with the same explanation.
    const again = await new GreeterClient(channel).lotsOfReplies({ name: "x", count: 1 })[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    assert.ok(again instanceof GrpcError && again.rawMessage === `connect ECONNREFUSED 127.0.0.1:${port}`, String(again));
  });

  it("a peer that does not speak HTTP/2 fails the attempt at once: UNAVAILABLE naming the address", async () => {
    await using listener = await rawListener((socket) => socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
    await using channel = new Channel(`127.0.0.1:${listener.port}`);
    const started = performance.now();
    const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
    assert.match(error.rawMessage, new RegExp(`^connection to 127\\.0\\.0\\.1:${listener.port} (failed: Protocol error|closed before it was ready)`));
    assert.ok(performance.now() - started < 1000);
    assert.equal(channel.state, TRANSIENT_FAILURE);
  });

  it("a DNS name that does not resolve fails fast with UNAVAILABLE naming the name", async () => {
    await using channel = new Channel("dns:///no-such-host.invalid:50051");
    const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
    assert.match(error.rawMessage, /^DNS resolution failed for no-such-host\.invalid: .*(ENOTFOUND|EAI_AGAIN)/);
    assert.equal(channel.state, TRANSIENT_FAILURE);
  });

  it("a waitForReady call waits through TRANSIENT_FAILURE and runs once the server is up", async () => {
    const server = new TestServer("late");
    server.port = await deadPort();
    await using channel = new Channel(`127.0.0.1:${server.port}`, fast);
    const client = new GreeterClient(channel);
    const waiting = client.sayHello({ name: "x" }, { waitForReady: true, timeout: 10_000 });
    const streaming = client.lotsOfReplies({ name: "0", count: 2 }, { waitForReady: true });
    await eventually(() => channel.state === TRANSIENT_FAILURE, 2000, "TRANSIENT_FAILURE");
    await sleep(100);
    await server.start();
    try {
      assert.equal((await waiting).message, "late");
      const replies = [];
      for await (const reply of streaming) replies.push(reply.message);
      assert.deepEqual(replies, ["late#1", "late#2"]);
    } finally {
      await server.kill();
    }
  });

  it("a waitForReady call ends with DEADLINE_EXCEEDED at its deadline, and a cancelled one with CANCELLED", async () => {
    const port = await deadPort();
    await using channel = new Channel(`127.0.0.1:${port}`, fast);
    const client = new GreeterClient(channel);
    const started = performance.now();
    const error = await client.sayHello({ name: "x" }, { waitForReady: true, timeout: 300 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    assert.ok(error instanceof GrpcError && error.code === Status.DEADLINE_EXCEEDED, String(error));
    assert.ok(took >= 290 && took < 1500, `ended after ${took.toFixed(0)} ms`);
    const controller = new AbortController();
    const cancelled = client.sayHello({ name: "x" }, { waitForReady: true, signal: controller.signal }).catch((e: unknown) => e);
    await sleep(20);
    controller.abort();
    const reason = await cancelled;
    assert.ok(reason instanceof GrpcError && reason.code === Status.CANCELLED, String(reason));
  });

  it("close() fails the calls waiting for a connection", async () => {
    const port = await deadPort();
    const channel = new Channel(`127.0.0.1:${port}`, fast);
    const waiting = new GreeterClient(channel).sayHello({ name: "x" }, { waitForReady: true }).catch((e: unknown) => e);
    await sleep(50);
    await channel.close();
    const error = await waiting;
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE && error.rawMessage === "channel is closed", String(error));
  });
});

describe("reconnect backoff", () => {
  it("follows the connection-backoff spec: 1 s, x1.6, jitter 0.2, max 120 s, connect timeout at least 20 s", () => {
    const backoff = new ConnectionBackoff(DEFAULT_BACKOFF);
    let now = 0;
    assert.equal(backoff.start(now), 20_000, "MIN_CONNECT_TIMEOUT bounds the first attempt");
    assert.equal(backoff.delay(now), 1000, "INITIAL_BACKOFF");
    let expected = 1000;
    for (let i = 0; i < 20; i++) {
      now += 5000;
      const timeout = backoff.start(now);
      expected = Math.min(expected * 1.6, 120_000);
      const delay = backoff.delay(now);
      assert.ok(delay >= expected * 0.8 - 1e-6 && delay <= expected * 1.2 + 1e-6, `attempt ${i + 2}: ${delay} vs ${expected}`);
      assert.equal(timeout, Math.max(delay, 20_000));
    }
    assert.ok(backoff.delay(now) <= 144_000 && backoff.delay(now) >= 96_000, "capped at MAX_BACKOFF, with jitter");
    backoff.reset();
    backoff.start(now);
    assert.equal(backoff.delay(now), 1000, "a success starts over");
  });

  it("reconnects to a failing address at the configured intervals (exponential, capped)", async () => {
    // Accepted, then closed at once: each attempt is one connection here.
    await using listener = await rawListener((socket) => socket.destroy());
    await using channel = new Channel(`127.0.0.1:${listener.port}`, {
      backoff: { initialBackoffMs: 100, multiplier: 2, jitter: 0, maxBackoffMs: 400, minConnectTimeoutMs: 1000 },
    });
    channel.getState(true);
    await eventually(() => listener.times.length >= 6, 5000, "6 attempts");
    // Each attempt starts its backoff's length after the one before: 100, 200, 400, 400 (the max), 400.
    // The first gap is left out: the very first connection of a process takes longer to be set up.
    const gaps = listener.times.slice(2, 6).map((t, i) => t - listener.times[i + 1]!);
    const expected = [200, 400, 400, 400];
    // Wide bounds for a loaded machine, still telling 400 (capped) from 800 (uncapped) and 200 from 100.
    gaps.forEach((gap, i) => assert.ok(gap >= expected[i]! - 80 && gap < expected[i]! + 300, `gap ${i}: ${gap.toFixed(0)} ms, expected ${expected[i]}`));
    assert.equal(channel.state, TRANSIENT_FAILURE);
    assert.match(String((await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e))), /UNAVAILABLE/);
  });

  it("never stays in CONNECTING: a server that accepts and never answers fails the attempt at the connect timeout", async () => {
    await using listener = await rawListener();
    await using channel = new Channel(`127.0.0.1:${listener.port}`, { backoff: { initialBackoffMs: 50, minConnectTimeoutMs: 300 } });
    const states = recordStates(channel);
    const started = performance.now();
    const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
    const took = performance.now() - started;
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
    assert.match(error.rawMessage, new RegExp(`connection to 127.0.0.1:${listener.port} timed out after 300 ms`));
    assert.ok(took >= 290 && took < 1500, `failed after ${took.toFixed(0)} ms`);
    assert.deepEqual(states.slice(0, 3), [IDLE, CONNECTING, TRANSIENT_FAILURE]);
  });
});

describe("idle timeout", () => {
  it("a channel that never gets to make a call goes IDLE too, and stops reconnecting", async () => {
    await using listener = await rawListener((socket) => socket.destroy());
    await using channel = new Channel(`127.0.0.1:${listener.port}`, { idleTimeoutMs: 200, backoff: { initialBackoffMs: 20, maxBackoffMs: 20 } });
    const states = recordStates(channel);
    channel.getState(true);
    await eventually(() => channel.state === IDLE, 2000, "IDLE");
    const attempts = listener.times.length;
    assert.ok(attempts >= 2, `${attempts} attempts`);
    await sleep(100);
    assert.equal(listener.times.length, attempts, "no more attempts once idle");
    assert.deepEqual(states, [IDLE, CONNECTING, TRANSIENT_FAILURE, IDLE]);
  });

  it("counts idleness from when the last call waiting for a connection gave up", async () => {
    const port = await deadPort();
    await using channel = new Channel(`127.0.0.1:${port}`, { idleTimeoutMs: 250, backoff: { initialBackoffMs: 20, maxBackoffMs: 20 } });
    const started = performance.now();
    const error = await new GreeterClient(channel).sayHello({ name: "x" }, { waitForReady: true, timeout: 400 }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError && error.code === Status.DEADLINE_EXCEEDED, String(error));
    assert.equal(channel.state, TRANSIENT_FAILURE, "not idle while the call waited");
    await eventually(() => channel.state === IDLE, 2000, "IDLE");
    const idleAfter = performance.now() - started;
    assert.ok(idleAfter >= 640, `idle after ${idleAfter.toFixed(0)} ms: 400 ms of waiting, then 250 ms without calls`);
  });

  it("goes IDLE after idleTimeoutMs without calls, closing the connection; the next call reconnects", async () => {
    const server = await new TestServer("idle").start();
    try {
      await using channel = new Channel(`127.0.0.1:${server.port}`, { idleTimeoutMs: 150 });
      const client = new GreeterClient(channel);
      const states = recordStates(channel);
      await client.sayHello({ name: "x" });
      const first = channel.session();
      // A stream that lasts longer than the idle timeout keeps the channel busy.
      const replies = [];
      for await (const reply of client.lotsOfReplies({ name: "50", count: 5 })) replies.push(reply.message);
      assert.equal(replies.length, 5);
      assert.equal(channel.state, READY, "not idle while a call was in flight");
      await eventually(() => channel.state === IDLE, 2000, "IDLE");
      await eventually(() => first.closed || first.destroyed, 2000, "the connection to close");
      assert.equal((await client.sayHello({ name: "y" })).message, "idle");
      assert.notEqual(channel.session(), first, "a new connection");
      assert.deepEqual(states, [IDLE, CONNECTING, READY, IDLE, CONNECTING, READY]);
    } finally {
      await server.kill();
    }
  });
});
