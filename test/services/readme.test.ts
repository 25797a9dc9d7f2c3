// The README's examples for health, reflection, shutdown and channelFor: each `// #region readme` below is
// quoted verbatim in README.md (the first test checks that), and runs here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  Channel,
  GrpcError,
  HealthClient,
  HealthService,
  Server,
  ServiceCheck,
  ServiceStatus,
  ServingStatus,
  Status,
  addReflection,
  channelFor,
  gracefulExit,
} from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { Greeter } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";
import { sleep } from "../runtime/harness.js";
import { ServerReflectionClient } from "../../runtime/services/gen/grpc/reflection/v1/reflection_grpc.js";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** The regions of this file, dedented: `// #region readme <name>` ... `// #endregion`. */
function regions(): Map<string, string> {
  const source = readFileSync(fileURLToPath(import.meta.url), "utf8");
  const found = new Map<string, string>();
  for (const match of source.matchAll(/^( *)\/\/ #region readme (\S+)\n([\s\S]*?)^ *\/\/ #endregion/gm)) {
    const indent = match[1]!.length;
    const body = match[3]!.split("\n").map((line) => line.slice(indent)).join("\n").trimEnd();
    found.set(match[2]!, body);
  }
  return found;
}

/** Captures console.log while `body` runs. */
async function logged(body: () => Promise<void>, onLine?: (lines: string[]) => void): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.join(" "));
    onLine?.(lines);
  };
  try {
    await body();
  } finally {
    console.log = original;
  }
  return lines;
}

describe("README examples", () => {
  it("are quoted verbatim in README.md, inside ts code blocks", () => {
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const found = regions();
    assert.deepEqual([...found.keys()].sort(), ["channel-for", "graceful-exit", "health-client", "health-server", "reflection", "shutdown"]);
    for (const [name, code] of found) {
      assert.ok(blocks.some((block) => block.includes(code)), `README.md has no ts block containing the region ${name}:\n${code}`);
    }
  });

  it("health: checks on the server, Check and Watch on the client", async () => {
    const pool = { query: async (_sql: string) => [] };
    // #region readme health-server
    const db = new ServiceCheck(
      async () => {
        await pool.query("SELECT 1"); // throwing (or timing out) counts as unhealthy, and is logged
        return true;
      },
      { ttlMs: 10_000, timeoutMs: 2_000 },
    );
    const cache = new ServiceStatus(); // unknown until set
    cache.set(true); // say, on the cache client's "ready" event

    const server = new Server().add(new GreeterService());
    server.add(new HealthService(server, { "greeter.v1.Greeter": [db, cache] }));
    // #endregion
    await using channel = channelFor(server);
    // The cache goes down once the Watch has reported its first status (not on a timer: a busy machine may be slow).
    const lines = await logged(async () => {
      // #region readme health-client
      const health = new HealthClient(channel);
      const { status } = await health.check({ service: "greeter.v1.Greeter" });
      console.log(ServingStatus[status]); // SERVING
      for await (const update of health.watch({ service: "" })) {
        console.log(ServingStatus[update.status]); // SERVING now, then every change
        if (update.status === ServingStatus.NOT_SERVING) break;
      }
      // #endregion
    }, (sofar) => {
      if (sofar.length === 2) cache.set(false);
    });
    assert.deepEqual(lines, ["SERVING", "SERVING", "NOT_SERVING"]);
  });

  it("reflection", async () => {
    const server = new Server().add(new GreeterService());
    // #region readme reflection
    addReflection(server); // grpc.reflection.v1 and v1alpha; or server.add(new ReflectionService(server, { version: "v1" }))
    // #endregion
    await using channel = channelFor(server);
    const responses = [];
    for await (const r of new ServerReflectionClient(channel).serverReflectionInfo([{ messageRequest: { case: "listServices", value: "" } }])) responses.push(r);
    const [response] = responses;
    assert.deepEqual(
      (response!.messageResponse.value as { service: { name: string }[] }).service.map((s) => s.name),
      ["greeter.v1.Greeter", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"],
    );
  });

  it("channelFor", async () => {
    // #region readme channel-for
    await using channel = channelFor([new GreeterService()]); // closes the server too
    const reply = await new GreeterClient(channel).sayHello({ name: "test" });
    assert.equal(reply.message, "Hello, test!");
    // #endregion
  });

  it("shutdown with a grace period", async () => {
    const server = new Server().add(Greeter, {
      sayHello: async (request) => {
        await sleep(100);
        return { message: `Hello, ${request.name}!` };
      },
    });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const channel = new Channel(`127.0.0.1:${port}`);
    const greeter = new GreeterClient(channel);
    const call = greeter.sayHello({ name: "in flight" });
    await sleep(50);
    // #region readme shutdown
    await server.close({ graceMs: 10_000 }); // calls in flight get 10 s to finish, then end with UNAVAILABLE
    // #endregion
    assert.equal((await call).message, "Hello, in flight!");
    const refused = await greeter.sayHello({ name: "late" }).catch((e: unknown) => e);
    assert.ok(refused instanceof GrpcError && refused.code === Status.UNAVAILABLE);
    await channel.close();
  });

  it("gracefulExit installs handlers for SIGINT and SIGTERM", async () => {
    const server = new Server();
    const before = new Set([...process.listeners("SIGINT"), ...process.listeners("SIGTERM")]);
    // #region readme graceful-exit
    gracefulExit([server], { graceMs: 10_000 }); // 1st SIGINT or SIGTERM: server.close({ graceMs }); 2nd: exit now
    // #endregion
    const added = process.listeners("SIGTERM").filter((listener) => !before.has(listener));
    assert.equal(added.length, 1);
    assert.ok(process.listeners("SIGINT").includes(added[0]!));
    // The handler as a signal would call it: the server starts closing.
    (added[0] as (signal: NodeJS.Signals) => void)("SIGTERM");
    assert.ok(server.signal.aborted);
    process.off("SIGINT", added[0]!);
    process.off("SIGTERM", added[0]!);
  });
});
