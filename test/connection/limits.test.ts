// Server limits with real sockets: max concurrent streams (SETTINGS; clients queue past it), max
// connection idle and max connection age with its grace (GOAWAY, as grpc-go), and the HTTP/2
// flow-control windows on both ends. Max header list size has its own tests (test/runtime/header-size.test.ts).
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { describe, it } from "node:test";
import { Channel, GrpcError, Status } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { grpcJsGreeterClient } from "../services/grpc-js-greeter.js";
import { eventually, sleep } from "../runtime/harness.js";
import { readAll, readySession, serve } from "./slow-greeter.js";

/** Resolves with the GOAWAY's code and debug data, and when it came (ms after `since`). */
function nextGoaway(session: http2.ClientHttp2Session, since: number): Promise<{ code: number; data: string; afterMs: number }> {
  return new Promise((resolve) =>
    session.once("goaway", (code: number, _last: number, data?: Buffer) => resolve({ code, data: data?.toString() ?? "", afterMs: Date.now() - since })),
  );
}

describe("maxConcurrentStreams", () => {
  it("is sent in SETTINGS; once the client knows it, calls over it wait on the client until one ends", async () => {
    await using peer = await serve({ maxConcurrentStreams: 2 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    const client = new GreeterClient(channel);
    await client.sayHello({ name: "warm-up" });
    assert.equal(channel.session().remoteSettings.maxConcurrentStreams, 2);
    const started = Date.now();
    const all = await Promise.all(Array.from({ length: 6 }, () => readAll(client.lotsOfReplies({ name: "c", count: 100 }))));
    assert.deepEqual(all, Array.from({ length: 6 }, () => ["first", "last"]));
    assert.equal(peer.service.peak, 2);
    // Three rounds of two 100 ms calls.
    assert.ok(Date.now() - started >= 280, `took ${Date.now() - started} ms`);
  });

  it("calls over it on a brand-new connection, sent before the server's SETTINGS arrived, are refused: UNAVAILABLE (REFUSED_STREAM)", async () => {
    await using peer = await serve({ maxConcurrentStreams: 2 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    const client = new GreeterClient(channel);
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => readAll(client.lotsOfReplies({ name: "c", count: 50 }))));
    assert.equal(peer.service.peak, 2);
    for (const result of results) {
      if (result.status === "rejected") {
        assert.ok(result.reason instanceof GrpcError);
        assert.equal(result.reason.code, Status.UNAVAILABLE);
        assert.match(result.reason.message, /REFUSED_STREAM/);
      }
    }
    assert.ok(results.filter((r) => r.status === "fulfilled").length >= 2);
  });

  it("a grpc-js client queues the same way", async () => {
    await using peer = await serve({ maxConcurrentStreams: 1 });
    const client = grpcJsGreeterClient(`127.0.0.1:${peer.port}`);
    const call = () =>
      new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        const stream = client.LotsOfReplies({ name: "j", count: 50 }, { deadline: Date.now() + 5_000 });
        stream.on("data", (reply: { message: string }) => got.push(reply.message));
        stream.on("error", reject);
        stream.on("end", () => resolve(got));
      });
    try {
      await new Promise<void>((resolve, reject) => client.SayHello({ name: "w" }, (error: Error | null) => (error ? reject(error) : resolve())));
      assert.deepEqual(await Promise.all([call(), call(), call()]), [["first", "last"], ["first", "last"], ["first", "last"]]);
    } finally {
      client.close();
    }
    assert.equal(peer.service.peak, 1);
  });
});

describe("maxConnectionIdleMs", () => {
  it("a connection with no call for that long gets GOAWAY (NO_ERROR, \"max_idle\"); the next call opens a new one", async () => {
    await using peer = await serve({ maxConnectionIdleMs: 150 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    const client = new GreeterClient(channel);
    await client.sayHello({ name: "a" });
    const first = channel.session();
    const goaway = await nextGoaway(first, Date.now());
    assert.equal(goaway.code, http2.constants.NGHTTP2_NO_ERROR);
    assert.equal(goaway.data, "max_idle");
    assert.ok(goaway.afterMs < 1_000, `after ${goaway.afterMs} ms`);
    assert.equal((await client.sayHello({ name: "b" })).message, "Hello, b!");
    assert.notEqual(channel.session(), first);
  });

  it("a call in flight keeps the connection: not idle while it runs", async () => {
    await using peer = await serve({ maxConnectionIdleMs: 100 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    const client = new GreeterClient(channel);
    const replies = readAll(client.lotsOfReplies({ name: "long", count: 400 }));
    await sleep(50);
    const session = channel.session();
    let goaways = 0;
    session.on("goaway", () => goaways++);
    assert.deepEqual(await replies, ["first", "last"]);
    assert.equal(goaways, 0);
  });

  it("a grpc-js client reconnects after the idle GOAWAY", async () => {
    await using peer = await serve({ maxConnectionIdleMs: 100 });
    const client = grpcJsGreeterClient(`127.0.0.1:${peer.port}`);
    const hello = (name: string) =>
      new Promise<string>((resolve, reject) =>
        client.SayHello({ name }, (error: Error | null, reply: { message: string }) => (error ? reject(error) : resolve(reply.message))),
      );
    try {
      assert.equal(await hello("a"), "Hello, a!");
      await sleep(300);
      assert.equal(await hello("b"), "Hello, b!");
    } finally {
      client.close();
    }
  });
});

describe("maxConnectionAgeMs and maxConnectionAgeGraceMs", () => {
  it("GOAWAY (\"max_age\") at the age ±10 %; a call in flight finishes within the grace; new calls use a new connection", async () => {
    await using peer = await serve({ maxConnectionAgeMs: 200, maxConnectionAgeGraceMs: 2_000 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    const client = new GreeterClient(channel);
    const opened = Date.now();
    const long = readAll(client.lotsOfReplies({ name: "long", count: 400 }));
    const first = await readySession(channel);
    const goaway = await nextGoaway(first, opened);
    assert.equal(goaway.code, http2.constants.NGHTTP2_NO_ERROR);
    assert.equal(goaway.data, "max_age");
    assert.ok(goaway.afterMs >= 170 && goaway.afterMs < 1_000, `GOAWAY after ${goaway.afterMs} ms`);
    assert.equal((await client.sayHello({ name: "new" })).message, "Hello, new!");
    assert.notEqual(channel.session(), first);
    assert.deepEqual(await long, ["first", "last"]);
  });

  it("a call still running when the grace ends is cut: UNAVAILABLE, and its handler's signal aborts", async () => {
    await using peer = await serve({ maxConnectionAgeMs: 100, maxConnectionAgeGraceMs: 150 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    const started = Date.now();
    await assert.rejects(readAll(new GreeterClient(channel).lotsOfReplies({ name: "endless", count: 10_000 })), (error: unknown) => {
      assert.ok(error instanceof GrpcError);
      assert.equal(error.code, Status.UNAVAILABLE, error.message);
      return true;
    });
    const cutMs = Date.now() - started;
    assert.ok(cutMs >= 200 && cutMs < 2_000, `cut after ${cutMs} ms`);
    await eventually(() => peer.service.aborted.length === 1, 2_000, "the handler's signal to abort");
  });
});

describe("flow-control windows", () => {
  it("streamWindowSize and connectionWindowSize apply on both ends; a 6 MiB message goes through", async () => {
    const window = 1024 * 1024;
    await using peer = await serve({ streamWindowSize: window, connectionWindowSize: window, maxReceiveMessageSize: 8 * 1024 * 1024 });
    await using channel = new Channel(`127.0.0.1:${peer.port}`, {
      streamWindowSize: window,
      connectionWindowSize: window,
      maxReceiveMessageSize: 8 * 1024 * 1024,
    });
    const client = new GreeterClient(channel);
    const name = "x".repeat(6 * 1024 * 1024);
    assert.equal((await client.sayHello({ name })).message.length, name.length + "Hello, !".length);
    const session = channel.session();
    assert.equal(session.remoteSettings.initialWindowSize, window, "the server's stream window, from its SETTINGS");
    assert.equal(session.localSettings.initialWindowSize, window, "ours");
    // Our connection window, less what the last response used and is not acknowledged yet (Node's default: 65 535).
    const connectionWindow = session.state.localWindowSize ?? 0;
    assert.ok(connectionWindow > window - 65_535, `connection window ${connectionWindow}`);
    // The server's connection window, as far as we may send: far past Node's 65 535 (the server
    // acknowledges consumed data once half the window is used, so it is between 0.5 and 1 MiB here).
    const serverWindow = session.state.remoteWindowSize ?? 0;
    assert.ok(serverWindow > window / 2 - 65_535, `server's connection window ${serverWindow}`);
  });

  it("both default to 4 MiB (as grpclib), not Node's 64 KiB", async () => {
    await using peer = await serve();
    await using channel = new Channel(`127.0.0.1:${peer.port}`);
    await new GreeterClient(channel).sayHello({ name: "w" });
    const session = channel.session();
    assert.equal(session.remoteSettings.initialWindowSize, 4 * 1024 * 1024);
    assert.equal(session.localSettings.initialWindowSize, 4 * 1024 * 1024);
    assert.ok((session.state.localWindowSize ?? 0) > 4 * 1024 * 1024 - 65_535);
    assert.ok((session.state.remoteWindowSize ?? 0) > 2 * 1024 * 1024);
  });
});
