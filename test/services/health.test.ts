// The health service (grpc.health.v1) and grpclib's checks, with our client in memory and a grpc-js client over TCP.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  GrpcError,
  HealthClient,
  HealthService,
  OVERALL,
  Server,
  ServiceCheck,
  ServiceStatus,
  ServingStatus,
  Status,
  channelFor,
  type HealthCheck,
} from "tsgrpc";
import { GreeterService } from "../../examples/greeter-service.js";
import { eventually, sleep } from "../runtime/harness.js";
import { grpc, grpcJsCheck, grpcJsHealthClient } from "./grpc-js-peer.js";

const GREETER = "greeter.v1.Greeter";
const { SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN } = ServingStatus;

/** A settable check that counts its subscribers, to see that watches clean up. */
class CountingCheck extends ServiceStatus {
  subscribers = 0;
  override subscribe(listener: () => void): () => void {
    this.subscribers++;
    const unsubscribe = super.subscribe(listener);
    return () => {
      this.subscribers--;
      unsubscribe();
    };
  }
}

/** A server with the example Greeter and a health service over `checks`, and a health client in memory. */
function healthPair(checks?: Record<string, HealthCheck[]>) {
  const server = new Server().add(new GreeterService());
  server.add(new HealthService(server, checks));
  const channel = channelFor(server);
  return { server, channel, health: new HealthClient(channel, { timeout: 5_000 }) };
}

async function statusOf(health: HealthClient, service: string): Promise<ServingStatus | Status> {
  try {
    return (await health.check({ service })).status;
  } catch (error) {
    assert.ok(error instanceof GrpcError);
    return error.code;
  }
}

describe("ServiceStatus and ServiceCheck", () => {
  it("ServiceStatus holds what set() gave it and tells subscribers of changes only", async () => {
    const status = new ServiceStatus();
    assert.equal(status.value, undefined);
    let calls = 0;
    const unsubscribe = status.subscribe(() => calls++);
    status.set(true);
    status.set(true);
    assert.equal(await status.check(), true);
    status.set(false);
    status.set(undefined);
    assert.equal(calls, 3);
    unsubscribe();
    status.set(true);
    assert.equal(calls, 3);
    assert.equal(new ServiceStatus(false).value, false);
  });

  it("ServiceCheck runs the probe at most once per TTL, and callers meanwhile share one run", async () => {
    let runs = 0;
    const check = new ServiceCheck(
      async () => {
        runs++;
        await sleep(20);
        return true;
      },
      { ttlMs: 100 },
    );
    assert.equal(check.value, undefined);
    assert.deepEqual(await Promise.all([check.check(), check.check(), check.check()]), [true, true, true]);
    assert.equal(runs, 1);
    assert.equal(await check.check(), true);
    assert.equal(runs, 1);
    await sleep(120);
    assert.equal(await check.check(), true);
    assert.equal(runs, 2);
  });

  it("a probe that throws, times out or returns a non-boolean is unhealthy, and the error is reported", async () => {
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    const throwing = new ServiceCheck(
      async function database() {
        throw new Error("connection refused");
      },
      { onError },
    );
    assert.equal(throwing.name, "database");
    assert.equal(await throwing.check(), false);
    assert.equal((errors[0] as Error).message, "connection refused");

    let probeSignal: AbortSignal | undefined;
    const slow = new ServiceCheck((signal) => ((probeSignal = signal), new Promise<boolean>(() => {})), { timeoutMs: 30, name: "slow", onError });
    const started = Date.now();
    assert.equal(await slow.check(), false);
    assert.ok(Date.now() - started < 1_000);
    assert.match((errors[1] as Error).message, /health check slow timed out after 30ms/);
    assert.ok(probeSignal?.aborted, "the probe's signal aborts at the timeout");

    const odd = new ServiceCheck(async () => "yes" as unknown as boolean, { onError });
    assert.equal(await odd.check(), false);
    assert.ok(errors[2] instanceof TypeError);

    const unknown = new ServiceCheck(async () => undefined, { onError });
    assert.equal(await unknown.check(), undefined);
    assert.equal(errors.length, 3);
  });

  it("ServiceCheck logs a failed probe with console.error by default", async () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      assert.equal(await new ServiceCheck(async () => Promise.reject(new Error("boom")), { name: "cache" }).check(), false);
    } finally {
      console.error = original;
    }
    assert.equal(logged[0]?.[0], "tsgrpc: health check cache failed:");
    assert.equal((logged[0]?.[1] as Error).message, "boom");
  });

  it("ServiceCheck polls every TTL while subscribed, and stops when the last subscriber leaves", async () => {
    let healthy = true;
    let runs = 0;
    const check = new ServiceCheck(async () => (runs++, healthy), { ttlMs: 20 });
    let changes = 0;
    const unsubscribe = check.subscribe(() => changes++);
    await eventually(() => check.value === true, 2000, "first poll");
    healthy = false;
    await eventually(() => check.value === false, 2000, "the change to be polled");
    assert.equal(changes, 2);
    unsubscribe();
    const after = runs;
    await sleep(100);
    assert.ok(runs <= after + 1, `polling stopped (${after} -> ${runs})`);
  });
});

describe("HealthService, Check", () => {
  it("answers SERVING for the whole server and for registered services without checks", async () => {
    const { channel, health } = healthPair();
    await using _ = channel;
    assert.equal(await statusOf(health, OVERALL), SERVING);
    assert.equal(await statusOf(health, GREETER), SERVING);
    assert.equal(await statusOf(health, "grpc.health.v1.Health"), SERVING);
  });

  it("answers NOT_FOUND for an unknown service", async () => {
    const { channel, health } = healthPair();
    await using _ = channel;
    const error = await health.check({ service: "no.such.Service" }).catch((e: unknown) => e);
    assert.ok(error instanceof GrpcError);
    assert.equal(error.code, Status.NOT_FOUND);
    assert.equal(error.rawMessage, "unknown service no.such.Service");
  });

  it("takes each service's status from its checks: all true SERVING, any false NOT_SERVING, else UNKNOWN", async () => {
    const db = new ServiceStatus(true);
    const cache = new ServiceStatus(true);
    const queue = new ServiceStatus(true);
    const { channel, health } = healthPair({ [GREETER]: [db, cache], "billing.v1.Billing": [db, queue] });
    await using _ = channel;
    assert.equal(await statusOf(health, GREETER), SERVING);
    assert.equal(await statusOf(health, "billing.v1.Billing"), SERVING, "a name in the checks is known even if not registered");
    cache.set(undefined);
    assert.equal(await statusOf(health, GREETER), UNKNOWN);
    assert.equal(await statusOf(health, "billing.v1.Billing"), SERVING);
    assert.equal(await statusOf(health, OVERALL), UNKNOWN, "the whole server: every check");
    queue.set(false);
    assert.equal(await statusOf(health, "billing.v1.Billing"), NOT_SERVING);
    assert.equal(await statusOf(health, OVERALL), NOT_SERVING, "false wins over unknown");
    assert.equal(await statusOf(health, GREETER), UNKNOWN);
  });

  it("the whole server's status comes from checks[OVERALL] when given", async () => {
    const db = new ServiceStatus(false);
    const up = new ServiceStatus(true);
    const { channel, health } = healthPair({ [GREETER]: [db], [OVERALL]: [up] });
    await using _ = channel;
    assert.equal(await statusOf(health, GREETER), NOT_SERVING);
    assert.equal(await statusOf(health, OVERALL), SERVING);
  });

  it("runs ServiceChecks, with their cache, for Check", async () => {
    let runs = 0;
    const probe = new ServiceCheck(async () => (runs++, true), { ttlMs: 60_000 });
    const { channel, health } = healthPair({ [GREETER]: [probe] });
    await using _ = channel;
    assert.equal(await statusOf(health, GREETER), SERVING);
    assert.equal(await statusOf(health, GREETER), SERVING);
    assert.equal(runs, 1);
  });

  it("answers NOT_SERVING once the server starts shutting down, even for a check that was running", async () => {
    let release!: () => void;
    const slow = new ServiceCheck(() => new Promise<boolean>((resolve) => (release = () => resolve(true))));
    const { server, channel, health } = healthPair({ [GREETER]: [slow] });
    await using _ = channel;
    const answer = statusOf(health, GREETER);
    await eventually(() => release !== undefined, 2000, "the probe to start");
    const closed = server.close();
    release();
    assert.equal(await answer, NOT_SERVING);
    await closed;
  });
});

describe("HealthService, Watch", () => {
  it("sends the current status, then each change, and nothing for a change that leaves it the same", async () => {
    const db = new ServiceStatus(true);
    const cache = new ServiceStatus(true);
    const { channel, health } = healthPair({ [GREETER]: [db, cache] });
    await using _ = channel;
    await using watch = health.open.watch();
    await watch.send({ service: GREETER });
    watch.end();
    assert.equal((await watch.receive())?.status, SERVING);
    db.set(false);
    assert.equal((await watch.receive())?.status, NOT_SERVING);
    cache.set(false); // still NOT_SERVING: no message
    db.set(undefined); // still NOT_SERVING (cache is false)
    cache.set(true); // now UNKNOWN
    assert.equal((await watch.receive())?.status, UNKNOWN);
    db.set(true);
    assert.equal((await watch.receive())?.status, SERVING);
  });

  it("follows a ServiceCheck by polling it every TTL", async () => {
    let healthy = true;
    const probe = new ServiceCheck(async () => healthy, { ttlMs: 20 });
    const { channel, health } = healthPair({ [GREETER]: [probe] });
    await using _ = channel;
    const watch = health.watch({ service: GREETER });
    const updates = watch[Symbol.asyncIterator]();
    assert.equal((await updates.next()).value?.status, SERVING);
    healthy = false;
    assert.equal((await updates.next()).value?.status, NOT_SERVING);
    watch.cancel();
  });

  it("sends SERVICE_UNKNOWN for an unknown service and keeps the call open", async () => {
    const { channel, health } = healthPair();
    await using _ = channel;
    const watch = health.watch({ service: "no.such.Service" });
    const updates = watch[Symbol.asyncIterator]();
    assert.equal((await updates.next()).value?.status, SERVICE_UNKNOWN);
    const more = updates.next();
    const winner = await Promise.race([more.then(() => "ended"), sleep(100).then(() => "open")]);
    assert.equal(winner, "open");
    watch.cancel();
    await assert.rejects(more, (e: unknown) => e instanceof GrpcError && e.code === Status.CANCELLED);
  });

  it("stops listening to the checks when the client goes away", async () => {
    const check = new CountingCheck(true);
    const { channel, health } = healthPair({ [GREETER]: [check] });
    await using _ = channel;
    const watches = [health.watch({ service: GREETER }), health.watch({ service: OVERALL })];
    for (const watch of watches) assert.equal((await watch[Symbol.asyncIterator]().next()).value?.status, SERVING);
    assert.equal(check.subscribers, 2);
    watches[0]!.cancel();
    await eventually(() => check.subscribers === 1, 2000, "one watch to unsubscribe");
    // A client that disconnects without cancelling: the connection goes, and so does the subscription.
    channel.session().destroy();
    await eventually(() => check.subscribers === 0, 2000, "the other watch to unsubscribe");
  });

  it("sends NOT_SERVING when the server shuts down, then ends the stream with OK", async () => {
    const { server, channel, health } = healthPair();
    await using _ = channel;
    const watches = [health.watch({ service: GREETER }), health.watch({ service: OVERALL })];
    const received: ServingStatus[][] = watches.map(() => []);
    const seen = watches.map(async (watch, i) => {
      for await (const update of watch) received[i]!.push(update.status);
      return received[i]!;
    });
    // Both watches are open on the server once their first update has come.
    await eventually(() => received.every((statuses) => statuses.length > 0), 2000, "the first updates");
    // close() without a grace period would wait for ever if the watches stayed open.
    await server.close();
    for (const statuses of await Promise.all(seen)) assert.deepEqual(statuses, [SERVING, NOT_SERVING]);
    for (const watch of watches) assert.equal((await watch.status).code, Status.OK);
  });
});

describe("HealthService with a grpc-js client over TCP", () => {
  it("Check: SERVING, NOT_SERVING, NOT_FOUND", async () => {
    const db = new ServiceStatus(true);
    const server = new Server().add(new GreeterService());
    server.add(new HealthService(server, { [GREETER]: [db] }));
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const client = grpcJsHealthClient(`127.0.0.1:${port}`);
    try {
      assert.equal(await grpcJsCheck(client, ""), "SERVING");
      assert.equal(await grpcJsCheck(client, GREETER), "SERVING");
      db.set(false);
      assert.equal(await grpcJsCheck(client, GREETER), "NOT_SERVING");
      await assert.rejects(grpcJsCheck(client, "nope"), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND && e.details === "unknown service nope");
    } finally {
      client.close();
      await server.forceClose();
    }
  });

  it("Watch: each change, SERVICE_UNKNOWN, NOT_SERVING at shutdown, and cleanup on cancel", async () => {
    const db = new CountingCheck(true);
    const server = new Server().add(new GreeterService());
    server.add(new HealthService(server, { [GREETER]: [db] }));
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const client = grpcJsHealthClient(`127.0.0.1:${port}`);
    try {
      const received: string[] = [];
      const watch = client.Watch({ service: GREETER }) as grpc.ClientReadableStream<{ status: string }>;
      const ended = new Promise<grpc.StatusObject>((resolve) => watch.on("status", resolve));
      watch.on("data", (update) => received.push(update.status));
      await eventually(() => received.length === 1, 2000, "the first status");
      db.set(false);
      await eventually(() => received.length === 2, 2000, "the change");
      db.set(true);
      await eventually(() => received.length === 3, 2000, "the change back");

      const unknown = client.Watch({ service: "nope" }) as grpc.ClientReadableStream<{ status: string }>;
      unknown.on("error", () => {}); // the cancel below also arrives as an error
      const unknownStatus = new Promise<grpc.StatusObject>((resolve) => unknown.on("status", resolve));
      const first = await new Promise<string>((resolve) => unknown.once("data", (update) => resolve(update.status)));
      assert.equal(first, "SERVICE_UNKNOWN");
      unknown.cancel();
      assert.equal((await unknownStatus).code, grpc.status.CANCELLED);

      const other = client.Watch({ service: GREETER }) as grpc.ClientReadableStream<{ status: string }>;
      other.on("error", () => {});
      await new Promise((resolve) => other.once("data", resolve));
      assert.equal(db.subscribers, 2);
      other.cancel();
      await eventually(() => db.subscribers === 1, 2000, "the cancelled watch to unsubscribe");

      await server.close({ graceMs: 2_000 });
      assert.deepEqual(received, ["SERVING", "NOT_SERVING", "SERVING", "NOT_SERVING"]);
      assert.equal((await ended).code, grpc.status.OK);
      assert.equal(db.subscribers, 0);
    } finally {
      client.close();
      await server.forceClose();
    }
  });
});
