// Keepalive (gRPC A8) with real sockets: the channel's pings and how a dead server is detected, the
// server's own pings and how a dead client is detected (a proxy that stops forwarding plays the dead
// network), the server's ping enforcement (GOAWAY ENHANCE_YOUR_CALM "too_many_pings"), and both
// against grpc-js. Timers are short (tens to hundreds of ms); the defaults stay A8's.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Channel, GrpcError, Server, Status, type ServerCall, type ServerOptions } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { grpcJsGreeterClient } from "../services/grpc-js-greeter.js";
import { eventually, sleep } from "../runtime/harness.js";
import { ClientKeepalive } from "../../runtime/client/keepalive.js";
import { connect } from "../../runtime/client/connect.js";
import { startGrpcJsGreeter } from "./grpc-js-greeter-server.js";
import { startProxy } from "./pausable-proxy.js";
import { readAll, readySession, serve } from "./slow-greeter.js";

function isUnavailable(message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof GrpcError, String(error));
    assert.equal(error.code, Status.UNAVAILABLE, error.message);
    assert.match(error.message, message);
    return true;
  };
}

/** A plain node:http2 server that counts the pings it receives. */
async function pingCounter() {
  let pings = 0;
  const server = http2.createServer();
  server.on("session", (session) => session.on("ping", () => pings++));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    get pings() {
      return pings;
    },
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Sessions still open would keep close() waiting.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

describe("client keepalive", () => {
  it("a dead server is detected within time + timeout: the call fails UNAVAILABLE (keepalive), the next call reconnects", async () => {
    await using peer = await serve({ keepaliveEnforcement: { minTimeMs: 10 } });
    await using proxy = await startProxy(peer.port);
    await using channel = new Channel(`127.0.0.1:${proxy.port}`, { keepalive: { timeMs: 100, timeoutMs: 200 } });
    const client = new GreeterClient(channel);
    const replies = client.lotsOfReplies({ name: "k", count: 10_000 })[Symbol.asyncIterator]();
    assert.equal((await replies.next()).value?.message, "first");
    const paused = Date.now();
    proxy.pause();
    await assert.rejects(replies.next(), isUnavailable(/keepalive ping not acknowledged within 200 ms/));
    const detectedMs = Date.now() - paused;
    // At most one interval until the ping, then the timeout; generous slack for a loaded machine.
    assert.ok(detectedMs >= 200 && detectedMs < 1_500, `detected after ${detectedMs} ms`);
    console.log(`# client keepalive: dead server detected after ${detectedMs} ms (time 100, timeout 200)`);
    // A new connection (through the proxy, which forwards new connections) serves the next call.
    assert.equal((await client.sayHello({ name: "again" })).message, "Hello, again!");
    assert.equal(proxy.accepted, 2);
  });

  it("no pings while no call is in flight, unless permitWithoutCalls", async () => {
    await using counter = await pingCounter();
    await using quiet = new Channel(`127.0.0.1:${counter.port}`, { keepalive: { timeMs: 30 } });
    quiet.getState(true);
    await using chatty = new Channel(`127.0.0.1:${counter.port}`, { keepalive: { timeMs: 30, permitWithoutCalls: true } });
    chatty.getState(true);
    await sleep(300);
    // Only chatty's pings: 300 ms / 30 ms, less the scheduling slack of a busy machine.
    assert.ok(counter.pings >= 3, `pings received: ${counter.pings}`);
    const chattyOnly = counter.pings;
    await chatty.close();
    await sleep(150);
    assert.ok(counter.pings <= chattyOnly + 1, `pings after the chatty channel closed: ${counter.pings - chattyOnly}`);
  });

  it("pinging a connection that is destroyed under it never crashes the process (Connect-ES #1795)", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      await using counter = await pingCounter();
      for (let i = 0; i < 20; i++) {
        const keepalive = new ClientKeepalive({ timeMs: 5, timeoutMs: 5, permitWithoutCalls: true });
        const session = connect({ host: "127.0.0.1", port: counter.port }, { session: {}, keepalive });
        session.on("error", () => {});
        // Destroyed at different points of the ping cycle: before connecting, mid-ping, after.
        if (i % 3 === 0) session.destroy();
        else setTimeout(() => session.destroy(), i % 7);
      }
      await sleep(100);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    assert.deepEqual(uncaught, []);
  });

  it("against a grpc-js server (grpc.keepalive_permit_without_calls): pings are answered and the connection is kept", async () => {
    await using peer = await startGrpcJsGreeter(undefined, { "grpc.keepalive_permit_without_calls": 1 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`, { keepalive: { timeMs: 20, timeoutMs: 500, permitWithoutCalls: true } });
    const client = new GreeterClient(channel);
    await client.sayHello({ name: "a" });
    const session = await readySession(channel);
    await sleep(300);
    assert.equal(channel.session(), session, "the same connection after ~15 pings");
    assert.equal((await client.sayHello({ name: "b" })).message, "Hello, b!");
  });

  it("a grpc-js server's own keepalive pings (grpc.keepalive_time_ms 30) are answered: a 500 ms stream succeeds on one connection", async () => {
    await using peer = await startGrpcJsGreeter(undefined, { "grpc.keepalive_time_ms": 30, "grpc.keepalive_timeout_ms": 200 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    const client = new GreeterClient(channel);
    const replies = await readAll(client.lotsOfReplies({ name: "g", count: 5 }));
    assert.equal(replies.length, 5);
    const session = await readySession(channel);
    assert.equal((await client.sayHello({ name: "same" })).message, "Hello, same!");
    assert.equal(channel.session(), session);
  });

  it("against a grpc-js server whose network dies: UNAVAILABLE within the timeout", async () => {
    await using peer = await startGrpcJsGreeter();
    await using proxy = await startProxy(peer.port);
    await using channel = new Channel(`127.0.0.1:${proxy.port}`, { keepalive: { timeMs: 100, timeoutMs: 200 } });
    const replies = new GreeterClient(channel).lotsOfReplies({ name: "k", count: 100 })[Symbol.asyncIterator]();
    assert.match((await replies.next()).value?.message ?? "", /Hello #1/);
    proxy.pause();
    await assert.rejects(async () => {
      for (;;) if ((await replies.next()).done === true) return;
    }, isUnavailable(/keepalive ping not acknowledged/));
  });
});

describe("server keepalive enforcement", () => {
  it("a client pinging more often than minTimeMs during a call gets GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\"; its call fails UNAVAILABLE", async () => {
    await using peer = await serve({ keepaliveEnforcement: { minTimeMs: 1_000 } });
    await using channel = new Channel(`127.0.0.1:${peer.port}`, { keepalive: { timeMs: 20 } });
    const replies = new GreeterClient(channel).lotsOfReplies({ name: "p", count: 5_000 })[Symbol.asyncIterator]();
    await replies.next();
    const goaway = new Promise<{ code: number; data: string }>((resolve) =>
      channel.session().once("goaway", (code: number, _last: number, data?: Buffer) => resolve({ code, data: data?.toString() ?? "" })),
    );
    assert.deepEqual(await goaway, { code: http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, data: "too_many_pings" });
    await assert.rejects(replies.next(), isUnavailable(/./));
  });

  it("the channel doubles its keepalive time after a \"too_many_pings\" GOAWAY (A8)", async () => {
    await using peer = await serve({ keepaliveEnforcement: { minTimeMs: 1, permitWithoutCalls: false } });
    const keepalive = new ClientKeepalive({ timeMs: 20, permitWithoutCalls: true });
    const session = http2.connect(`http://127.0.0.1:${peer.port}`);
    session.on("error", () => {});
    keepalive.attach(session, () => false);
    await new Promise((resolve) => session.once("goaway", resolve));
    assert.equal(keepalive.timeMs, 40);
    session.destroy();
  });

  it("the same client is fine when minTimeMs allows its rate", async () => {
    await using peer = await serve({ keepaliveEnforcement: { minTimeMs: 10 } });
    await using channel = new Channel(`127.0.0.1:${peer.port}`, { keepalive: { timeMs: 20 } });
    assert.deepEqual(await readAll(new GreeterClient(channel).lotsOfReplies({ name: "p", count: 300 })), ["first", "last"]);
  });

  it("pings without calls count against permitWithoutCalls (default false), whatever minTimeMs", async () => {
    await using strict = await serve({ keepaliveEnforcement: { minTimeMs: 1 } });
    await using idle = new Channel(`127.0.0.1:${strict.port}`, { keepalive: { timeMs: 20, permitWithoutCalls: true } });
    const session = await readySession(idle);
    const code = await new Promise<number>((resolve) => session.once("goaway", (c: number) => resolve(c)));
    assert.equal(code, http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);

    await using lenient = await serve({ keepaliveEnforcement: { minTimeMs: 1, permitWithoutCalls: true } });
    await using allowed = new Channel(`127.0.0.1:${lenient.port}`, { keepalive: { timeMs: 20, permitWithoutCalls: true } });
    const kept = await readySession(allowed);
    let goaways = 0;
    kept.on("goaway", () => goaways++);
    await sleep(250);
    assert.equal(goaways, 0);
    assert.equal(allowed.session(), kept);
  });

  it("responses sent between pings start the strikes over (as grpc-go's resetPingStrikes)", async () => {
    await using peer = await serve({ keepaliveEnforcement: { minTimeMs: 10_000 } });
    await using channel = new Channel(`127.0.0.1:${peer.port}`, { keepalive: { timeMs: 40 } });
    const client = new GreeterClient(channel);
    // A call every 15 ms keeps responses flowing between the pings.
    const end = Date.now() + 400;
    while (Date.now() < end) {
      assert.equal((await client.sayHello({ name: "x" })).message, "Hello, x!");
      await sleep(15);
    }
  });

  it("grpc-js client (grpc.keepalive_time_ms 20) against the default policy: GOAWAY, its call fails; with minTimeMs 10 it succeeds", async () => {
    const run = async (options: ServerOptions) => {
      await using peer = await serve(options);
      const client = grpcJsGreeterClient(`127.0.0.1:${peer.port}`, { "grpc.keepalive_time_ms": 20, "grpc.keepalive_timeout_ms": 1_000 });
      try {
        return await new Promise<string[] | grpc.ServiceError>((resolve) => {
          const messages: string[] = [];
          const call = client.LotsOfReplies({ name: "j", count: 400 }, { deadline: Date.now() + 5_000 });
          call.on("data", (reply: { message: string }) => messages.push(reply.message));
          call.on("error", (error: grpc.ServiceError) => resolve(error));
          call.on("end", () => resolve(messages));
        });
      } finally {
        client.close();
      }
    };
    const refused = await run({});
    assert.ok(!Array.isArray(refused), "the call should have failed");
    // Node's client session, on a GOAWAY with an error code, ends its streams with that code; grpc-js reads
    // ENHANCE_YOUR_CALM as RESOURCE_EXHAUSTED (so it does against grpc-go, whose GOAWAY is the same).
    assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED, refused.message);
    assert.deepEqual(await run({ keepaliveEnforcement: { minTimeMs: 10 } }), ["first", "last"]);
  });
});

describe("keepalive options", () => {
  it("times that are not positive numbers are refused when the channel or server is made", () => {
    assert.throws(() => new Channel("127.0.0.1:1", { keepalive: { timeMs: 0 } }), /keepalive\.timeMs must be a positive number/);
    assert.throws(() => new Channel("127.0.0.1:1", { keepalive: { timeMs: 1_000, timeoutMs: Number.NaN } }), /keepalive\.timeoutMs/);
    assert.throws(() => new Server({ keepalive: { timeMs: -1 } }), /ServerOptions\.keepalive\.timeMs/);
    assert.throws(() => new Server({ maxConnectionAgeMs: 0 }), /ServerOptions\.maxConnectionAgeMs/);
  });
});

describe("server keepalive", () => {
  it("a dead client is detected within time + timeout: the handler's signal aborts and the connection is dropped", async () => {
    await using peer = await serve({ keepalive: { timeMs: 100, timeoutMs: 200 } });
    await using proxy = await startProxy(peer.port);
    await using channel = new Channel(`127.0.0.1:${proxy.port}`);
    const abort = new AbortController();
    const replies = new GreeterClient(channel).lotsOfReplies({ name: "d", count: 10_000 }, { signal: abort.signal })[Symbol.asyncIterator]();
    await replies.next();
    const paused = Date.now();
    proxy.pause();
    await eventually(() => peer.service.aborted.length === 1, 3_000, "the handler's signal to abort");
    const detectedMs = peer.service.aborted[0]! - paused;
    assert.ok(detectedMs >= 150 && detectedMs < 1_500, `detected after ${detectedMs} ms`);
    console.log(`# server keepalive: dead client detected after ${detectedMs} ms (time 100, timeout 200)`);
    // The client never heard (the proxy still holds its packets): end its side too.
    abort.abort();
    await assert.rejects(replies.next(), (error: GrpcError) => error.code === Status.CANCELLED);
    // A graceful close waits for the peer's FIN, which a paused proxy never passes on: drop the proxy first.
    await proxy[Symbol.asyncDispose]();
  });

  it("connections that come and go under a 5 ms keepalive never crash the server, and leave no timer behind", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      await using peer = await serve({ keepalive: { timeMs: 5, timeoutMs: 5 }, maxConnectionIdleMs: 7, maxConnectionAgeMs: 9, maxConnectionAgeGraceMs: 3 });
      for (let i = 0; i < 30; i++) {
        const session = http2.connect(`http://127.0.0.1:${peer.port}`);
        session.on("error", () => {});
        setTimeout(() => session.destroy(), i % 11);
      }
      await sleep(100);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    // A timer left ref'd would also keep this file's process from ending (the runner would time out).
    assert.deepEqual(uncaught, []);
  });

  it("grpc-js and our clients answer the server's pings: a call longer than many ping intervals succeeds", async () => {
    await using peer = await serve({ keepalive: { timeMs: 20, timeoutMs: 200 } });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    assert.deepEqual(await readAll(new GreeterClient(channel).lotsOfReplies({ name: "o", count: 300 })), ["first", "last"]);
    const client = grpcJsGreeterClient(`127.0.0.1:${peer.port}`);
    try {
      const messages = await new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        const call = client.LotsOfReplies({ name: "j", count: 300 }, { deadline: Date.now() + 5_000 });
        call.on("data", (reply: { message: string }) => got.push(reply.message));
        call.on("error", reject);
        call.on("end", () => resolve(got));
      });
      assert.deepEqual(messages, ["first", "last"]);
    } finally {
      client.close();
    }
    assert.deepEqual(peer.service.aborted, []);
  });
});
