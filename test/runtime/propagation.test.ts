import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, GrpcError, Server, Status, currentServerCall, type CallOptions, type ServerCall } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { eventually, sleep } from "./harness.js";

/** The second hop: reports the deadline it saw, or waits until cancelled and records why. */
class Backend extends GreeterBase {
  deadline: number | undefined = undefined;
  abortReason: unknown = undefined;
  async sayHello(request: HelloRequest, call: ServerCall) {
    this.deadline = call.deadline;
    if (request.name === "wait") {
      await new Promise<void>((resolve) => call.signal.addEventListener("abort", () => resolve()));
      this.abortReason = call.signal.reason;
    }
    return { message: String(call.deadline ?? "none") };
  }
  async *lotsOfReplies() {}
  async lotsOfGreetings() {
    return {};
  }
  async *bidiHello() {}
}

/** The first hop: calls the backend from inside its handler, with options picked by the request's name. */
class Frontend extends GreeterBase {
  constructor(private readonly backend: GreeterClient) {
    super();
  }
  async sayHello(request: HelloRequest, call: ServerCall) {
    assert.equal(currentServerCall(), call);
    const options: CallOptions = request.name === "opt-out" ? { propagate: false } : {};
    const reply = await this.backend.sayHello({ name: request.name === "opt-out" ? "x" : request.name }, options);
    return { message: reply.message };
  }
  async *lotsOfReplies() {}
  async lotsOfGreetings() {
    return {};
  }
  async *bidiHello() {}
}

async function twoHops() {
  const backend = new Backend();
  const backendServer = new Server().add(backend);
  const b = await backendServer.listen({ host: "127.0.0.1", port: 0 });
  const backendChannel = new Channel(`127.0.0.1:${b.port}`);
  const frontendServer = new Server().add(new Frontend(new GreeterClient(backendChannel)));
  const f = await frontendServer.listen({ host: "127.0.0.1", port: 0 });
  const channel = new Channel(`127.0.0.1:${f.port}`);
  return {
    backend,
    client: new GreeterClient(channel),
    async [Symbol.asyncDispose]() {
      await channel.close();
      await backendChannel.close();
      await frontendServer.forceClose();
      await backendServer.forceClose();
    },
  };
}

describe("deadline and cancellation propagation", () => {
  it("a call made inside a handler inherits its deadline, across two hops", async () => {
    await using hops = await twoHops();
    const before = Date.now();
    await hops.client.sayHello({ name: "x" }, { timeout: 5_000 });
    assert.ok(hops.backend.deadline !== undefined, "the backend saw a deadline");
    assert.ok(Math.abs(hops.backend.deadline - (before + 5_000)) < 500, `backend deadline ${hops.backend.deadline - before} ms from the start`);
  });

  it("the deadline expires on both hops together", async () => {
    await using hops = await twoHops();
    await assert.rejects(hops.client.sayHello({ name: "wait" }, { timeout: 200 }), { code: Status.DEADLINE_EXCEEDED });
    await eventually(() => hops.backend.abortReason !== undefined, 2000, "the backend to be aborted");
    assert.ok(hops.backend.abortReason instanceof GrpcError);
  });

  it("cancelling the first call cancels the second", async () => {
    await using hops = await twoHops();
    const controller = new AbortController();
    const pending = hops.client.sayHello({ name: "wait" }, { signal: controller.signal });
    await sleep(100);
    controller.abort();
    await assert.rejects(pending, { code: Status.CANCELLED });
    await eventually(() => hops.backend.abortReason !== undefined, 2000, "the backend to be cancelled");
    assert.equal((hops.backend.abortReason as GrpcError).code, Status.CANCELLED);
  });

  it("propagate: false opts out", async () => {
    await using hops = await twoHops();
    const reply = await hops.client.sayHello({ name: "opt-out" }, { timeout: 5_000 });
    assert.equal(reply.message, "none");
  });

  it("outside a handler there is nothing to inherit", () => {
    assert.equal(currentServerCall(), undefined);
  });
});

describe("propagateContext: false", () => {
  it("runs handlers without a current call; an explicit parent still propagates", async () => {
    let seen: ServerCall | undefined | "unset" = "unset";
    let backendDeadline: number | undefined;
    const backendServer = new Server().add(
      new (class extends Backend {
        override async sayHello(request: HelloRequest, call: ServerCall) {
          backendDeadline = call.deadline;
          return super.sayHello(request, call);
        }
      })(),
    );
    const b = await backendServer.listen({ host: "127.0.0.1", port: 0 });
    await using backendChannel = new Channel(`127.0.0.1:${b.port}`);
    const backend = new GreeterClient(backendChannel);
    const server = new Server({ propagateContext: false }).add(
      new (class extends Frontend {
        override async sayHello(_request: HelloRequest, call: ServerCall) {
          seen = currentServerCall();
          return backend.sayHello({ name: "x" }, { propagate: call });
        }
      })(backend),
    );
    const f = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      await using channel = new Channel(`127.0.0.1:${f.port}`);
      await new GreeterClient(channel).sayHello({ name: "x" }, { timeout: 5_000 });
      assert.equal(seen, undefined);
      assert.ok(backendDeadline !== undefined, "the explicit parent's deadline reached the backend");
    } finally {
      await server.forceClose();
      await backendServer.forceClose();
    }
  });
});

describe("the context's cost is paid only where it can be used", () => {
  it("a process without a Channel runs handlers without the context; one with a Channel gets it", async () => {
    const { execFileSync } = await import("node:child_process");
    const out = execFileSync(
      process.execPath,
      ["--conditions=tsgrpc-source", "--import", "tsx", new URL("./fixtures/context-gate.ts", import.meta.url).pathname],
      { encoding: "utf8", timeout: 30_000 },
    );
    assert.deepEqual(JSON.parse(out.trim().split("\n").at(-1)!), [false, true]);
  });
});
