// Graceful shutdown: server.close({ graceMs }), GOAWAY handling on the channel, and gracefulExit() in a real process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http2 from "node:http2";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Channel, ConnectivityState, GrpcError, Server, Status, channelFor, gracefulExit, type ServerCall } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { duplexPair } from "../../runtime/testing/duplex-pair.js";
import { eventually, sleep } from "../runtime/harness.js";
import { grpc } from "./grpc-js-peer.js";
import { grpcJsGreeterClient } from "./grpc-js-greeter.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * SayHello answers after `name` ms ("forever": when aborted); LotsOfReplies sends `count` replies 20 ms apart
 * (count 0: until aborted). Records each handler's abort reason, and which server answered, and counts the calls
 * that have reached a handler (tests wait for that, not for a fixed time, before shutting down).
 */
class SlowGreeter extends GreeterBase {
  readonly aborted: unknown[] = [];
  started = 0;
  constructor(readonly label = "") {
    super();
  }
  readonly #example = new GreeterService();
  async sayHello(request: HelloRequest, call: ServerCall) {
    this.started++;
    call.signal.addEventListener("abort", () => this.aborted.push(call.signal.reason));
    if (request.name === "forever") await new Promise((resolve) => call.signal.addEventListener("abort", resolve));
    else await sleep(Number(request.name));
    return { message: `${this.label}slept ${request.name}` };
  }
  async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    this.started++;
    call.signal.addEventListener("abort", () => this.aborted.push(call.signal.reason));
    for (let i = 1; request.count === 0 || i <= request.count; i++) {
      await sleep(20);
      yield { message: `${this.label}#${i}` };
    }
  }
  lotsOfGreetings(requests: AsyncIterable<HelloRequest>) {
    return this.#example.lotsOfGreetings(requests);
  }
  bidiHello(requests: AsyncIterable<HelloRequest>) {
    return this.#example.bidiHello(requests);
  }
}

/** A channel whose first connection goes to `first` (in memory) and every later one to `second`; and how many it made. */
function firstThenSecond(first: Server, second: Server): { channel: Channel; connections: () => number } {
  let connections = 0;
  const channel = new Channel("in-memory:0", {
    createConnection: () => {
      const [clientSide, serverSide] = duplexPair();
      (connections++ === 0 ? first : second).acceptConnection(serverSide);
      return clientSide;
    },
  });
  return { channel, connections: () => connections };
}

async function listening(service: SlowGreeter) {
  const server = new Server().add(service);
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  return { server, port, channel: new Channel(`127.0.0.1:${port}`) };
}

/** Collects a stream's messages; resolves with them and the final status code. */
async function drain(stream: AsyncIterable<{ message: string }>): Promise<{ messages: string[]; code: Status; error?: GrpcError }> {
  const messages: string[] = [];
  try {
    for await (const reply of stream) messages.push(reply.message);
    return { messages, code: Status.OK };
  } catch (error) {
    assert.ok(error instanceof GrpcError, String(error));
    return { messages, code: error.code, error };
  }
}

describe("server.close({ graceMs })", () => {
  it("lets a unary call and a long stream in flight finish within the grace period", async () => {
    const greeter = new SlowGreeter();
    const { server, channel } = await listening(greeter);
    const client = new GreeterClient(channel);
    const unary = client.sayHello({ name: "150" });
    const stream = drain(client.lotsOfReplies({ name: "s", count: 15 }));
    await eventually(() => greeter.started === 2, 5_000, "both calls to reach the server");
    const started = Date.now();
    await server.close({ graceMs: 5_000 });
    const took = Date.now() - started;
    assert.equal((await unary).message, "slept 150");
    const streamed = await stream;
    assert.equal(streamed.code, Status.OK);
    assert.equal(streamed.messages.length, 15);
    assert.ok(took < 2_000, `close took ${took} ms, not the whole grace period`);
    assert.deepEqual(greeter.aborted, []);
    await channel.close();
  });

  it("after the grace period, cancels what is left: the handlers' signals abort, clients get UNAVAILABLE", async () => {
    const greeter = new SlowGreeter();
    const { server, channel } = await listening(greeter);
    const client = new GreeterClient(channel);
    const unary = client.sayHello({ name: "forever" }).catch((e: unknown) => e);
    const stream = drain(client.lotsOfReplies({ name: "s", count: 0 }));
    const quick = client.sayHello({ name: "50" });
    await eventually(() => greeter.started === 3, 5_000, "the calls to reach the server");
    const started = Date.now();
    await server.close({ graceMs: 300 });
    const took = Date.now() - started;
    assert.ok(took >= 290 && took < 1_500, `close took ${took} ms`);
    assert.equal((await quick).message, "slept 50", "a call that ends within the grace period is unaffected");
    const error = await unary;
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.equal(error.rawMessage, "server is shutting down");
    const streamed = await stream;
    assert.equal(streamed.code, Status.UNAVAILABLE);
    assert.equal(streamed.error?.rawMessage, "server is shutting down");
    assert.ok(streamed.messages.length >= 5, `the stream ran until the grace period ended (${streamed.messages.length} messages)`);
    assert.equal(greeter.aborted.length, 2);
    for (const reason of greeter.aborted) assert.ok(reason instanceof GrpcError && reason.code === Status.UNAVAILABLE);
    await channel.close();
  });

  it("close() without graceMs waits for the calls however long they take", async () => {
    const greeter = new SlowGreeter();
    const { server, channel } = await listening(greeter);
    const unary = new GreeterClient(channel).sayHello({ name: "400" });
    await eventually(() => greeter.started === 1, 5_000, "the call to reach the server");
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started >= 350);
    assert.equal((await unary).message, "slept 400");
    await channel.close();
  });

  it("sends GOAWAY(NO_ERROR) naming the last stream it will serve, and refuses new streams and connections", async () => {
    const greeter = new SlowGreeter();
    const { server, port } = await listening(greeter);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const request = (name: string) => {
      const stream = session.request({ ":method": "POST", ":path": "/greeter.v1.Greeter/SayHello", "content-type": "application/grpc", te: "trailers" });
      const body = Buffer.from(name);
      stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, body.length + 2, 0x0a, body.length]), body]));
      return new Promise<{ status?: string; rstCode?: number }>((resolve) => {
        let status: string | undefined;
        stream.on("trailers", (trailers) => (status = String(trailers["grpc-status"])));
        stream.on("error", () => {});
        stream.on("close", () => resolve({ status, rstCode: stream.rstCode }));
        stream.resume();
      });
    };
    const first = request("200");
    await eventually(() => greeter.started === 1, 5_000, "the call to reach the server");
    const goaway = new Promise<[number, number]>((resolve) => session.once("goaway", (code, lastStreamID) => resolve([code, lastStreamID])));
    const closed = server.close({ graceMs: 5_000 });
    assert.deepEqual(await goaway, [http2.constants.NGHTTP2_NO_ERROR, 1]);
    assert.deepEqual(await first, { status: "0", rstCode: http2.constants.NGHTTP2_NO_ERROR });
    await closed;
    const late = await new GreeterClient(new Channel(`127.0.0.1:${port}`)).sayHello({ name: "0" }).catch((e: unknown) => e);
    assert.ok(late instanceof GrpcError && late.code === Status.UNAVAILABLE && /ECONNREFUSED/.test(late.rawMessage));
    session.destroy();
  });

  it("a call racing the server's GOAWAY is refused (REFUSED_STREAM) and retried once transparently: UNAVAILABLE when no server is left", async () => {
    const server = new Server().add(new SlowGreeter());
    await using channel = channelFor(server);
    const client = new GreeterClient(channel);
    await client.sayHello({ name: "0" });
    const racing = client.sayHello({ name: "0" }).catch((e: unknown) => e);
    const closed = server.close();
    const error = await racing;
    assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
    // The retry found the server gone: the error is the new connection's, not the refusal.
    assert.doesNotMatch(error.rawMessage, /REFUSED_STREAM/);
    await closed;
  });

  it("a call racing the server's GOAWAY goes to the next connection (transparent retry, gRPC A6) and succeeds", async () => {
    const a = new Server().add(new SlowGreeter("a:"));
    const b = new Server().add(new SlowGreeter("b:"));
    const { channel, connections } = firstThenSecond(a, b);
    try {
      const client = new GreeterClient(channel);
      assert.equal((await client.sayHello({ name: "0" })).message, "a:slept 0");
      const racing = client.sayHello({ name: "0" });
      const streaming = drain(client.lotsOfReplies({ name: "s", count: 2 }));
      const greetings = client.lotsOfGreetings([{ name: "x" }, { name: "y" }]);
      const bidi = drain(client.bidiHello([{ name: "p" }, { name: "q" }]));
      const closed = a.close();
      assert.equal((await racing).message, "b:slept 0");
      assert.deepEqual(await streaming, { messages: ["b:#1", "b:#2"], code: Status.OK });
      // Client-streaming and bidi calls replay the requests they had sent.
      assert.equal((await greetings).message, "Hello, x and y!");
      assert.deepEqual((await bidi).messages, ["Hi p, nice to meet you.", "Hi q, nice to meet you."]);
      assert.equal(connections(), 2);
      await closed;
    } finally {
      await channel.close();
      await b.forceClose();
    }
  });

  it("a grpc-js client's stream in flight finishes after the GOAWAY", async () => {
    const greeter = new SlowGreeter();
    const { server, port, channel } = await listening(greeter);
    await channel.close();
    const client = grpcJsGreeterClient(`127.0.0.1:${port}`);
    try {
      const call = client.LotsOfReplies({ name: "js", count: 10 }) as grpc.ClientReadableStream<{ message: string }>;
      const messages: string[] = [];
      call.on("data", (reply) => messages.push(reply.message));
      const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
      await eventually(() => greeter.started === 1, 5_000, "the call to reach the server");
      await server.close({ graceMs: 5_000 });
      assert.equal((await status).code, grpc.status.OK);
      assert.equal(messages.length, 10);
    } finally {
      client.close();
    }
  });
});

describe("Channel and GOAWAY", () => {
  it("finishes the calls in flight on the old connection and opens a new one for new calls", async () => {
    // Two servers behind one channel: the first connection goes to `a`, later ones to `b`.
    const greeterA = new SlowGreeter("a:");
    const a = new Server().add(greeterA);
    const b = new Server().add(new SlowGreeter("b:"));
    const { channel, connections } = firstThenSecond(a, b);
    try {
      const client = new GreeterClient(channel);
      const unary = client.sayHello({ name: "300" });
      const stream = drain(client.lotsOfReplies({ name: "s", count: 15 }));
      await eventually(() => greeterA.started === 2, 5_000, "both calls to reach server a");
      const closingA = a.close({ graceMs: 5_000 });
      // Once the channel has seen the GOAWAY it is IDLE, and connects anew (to b) for new calls.
      await eventually(() => channel.state === ConnectivityState.IDLE, 2000, "the channel to go IDLE");
      assert.equal((await client.sayHello({ name: "0" })).message, "b:slept 0");
      assert.equal(connections(), 2);
      assert.equal((await unary).message, "a:slept 300");
      const streamed = await stream;
      assert.equal(streamed.code, Status.OK);
      assert.deepEqual(streamed.messages.slice(-1), ["a:#15"]);
      await closingA;
    } finally {
      await channel.close();
      await b.forceClose();
    }
  });
});

describe("gracefulExit()", () => {
  const fixture = join(root, "test/services/fixtures/graceful-exit-server.ts");

  async function start(...args: string[]) {
    const child = spawn(process.execPath, ["--conditions=tsgrpc-source", "--import", "tsx", fixture, ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", () => {
        const match = /listening on [\d.]+:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`fixture exited early with ${code}`)));
      setTimeout(() => reject(new Error("fixture did not start in 30 s")), 30_000).unref();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, port, exited, output: () => output };
  }

  it("the first SIGTERM closes the servers gracefully: the call in flight finishes, then the process exits 0", async () => {
    const { child, port, exited, output } = await start();
    const channel = new Channel(`127.0.0.1:${port}`);
    try {
      const call = new GreeterClient(channel).sayHello({ name: "300" });
      await sleep(50);
      child.kill("SIGTERM");
      assert.equal((await call).message, "slept 300");
      assert.equal(await exited, 0);
      assert.match(output(), /closing/);
    } finally {
      await channel.close();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("a second signal exits at once with 128 + the signal number", async () => {
    const { child, port, exited } = await start();
    const channel = new Channel(`127.0.0.1:${port}`);
    try {
      const call = new GreeterClient(channel).sayHello({ name: "60000" }).catch((e: unknown) => e);
      await sleep(50);
      child.kill("SIGINT");
      await sleep(100);
      assert.equal(child.exitCode, null, "still serving the call after the first signal");
      child.kill("SIGINT");
      assert.equal(await exited, 130);
      const error = await call;
      assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE);
    } finally {
      await channel.close();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("with graceMs, a call still running when it ends is cancelled and the process exits 0", async () => {
    const { child, port, exited } = await start("200");
    const channel = new Channel(`127.0.0.1:${port}`);
    try {
      const call = new GreeterClient(channel).sayHello({ name: "60000" }).catch((e: unknown) => e);
      await sleep(50);
      child.kill("SIGTERM");
      const error = await call;
      assert.ok(error instanceof GrpcError && error.code === Status.UNAVAILABLE, String(error));
      assert.equal(await exited, 0);
    } finally {
      await channel.close();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("disposing it removes the signal handlers", () => {
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM"), process.listenerCount("SIGHUP")];
    {
      using _ = gracefulExit([new Server()], { signals: ["SIGINT", "SIGTERM", "SIGHUP"] });
      assert.deepEqual([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM"), process.listenerCount("SIGHUP")], before.map((n) => n + 1));
    }
    assert.deepEqual([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM"), process.listenerCount("SIGHUP")], before);
  });
});
