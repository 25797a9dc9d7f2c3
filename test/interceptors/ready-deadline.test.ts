// defaultDeadline: a timeout for calls that have none, over real HTTP/2.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, Status, defaultDeadline, type ServerCall } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { startPair } from "../runtime/harness.js";
import { RecordingGreeter, texts } from "./fixtures.js";

/** `hang` waits until the call ends; replies say the deadline the handler saw. */
class Greeter extends RecordingGreeter {
  deadlines: (number | undefined)[] = [];
  override async sayHello(request: HelloRequest, call: ServerCall) {
    this.deadlines.push(call.deadline);
    if (request.name === "hang") await new Promise((resolve) => call.signal.addEventListener("abort", resolve));
    return super.sayHello(request, call);
  }
}

describe("defaultDeadline", () => {
  it("gives calls without a timeout or deadline one, on all four kinds", async () => {
    const service = new Greeter();
    await using pair = await startPair(service, undefined, { interceptors: [defaultDeadline(150)] });
    const client = new GreeterClient(pair.channel);
    const started = Date.now();
    await assert.rejects(client.sayHello({ name: "hang" }), { code: Status.DEADLINE_EXCEEDED });
    const took = Date.now() - started;
    assert.ok(took >= 140 && took < 2_000, `took ${took} ms`);
    const seen = service.deadlines[0]! - started;
    assert.ok(seen >= 140 && seen <= took + 150, `the server saw a deadline ${seen} ms after the call started`);
    await texts(client.lotsOfReplies({ name: "b", count: 1 }));
    await client.lotsOfGreetings([{ name: "c" }]);
    await texts(client.bidiHello([{ name: "d" }]));
    const deadlines = service.calls.slice(1).map((call) => call.deadline);
    assert.equal(deadlines.length, 3);
    assert.ok(deadlines.every((d) => d !== undefined && d <= Date.now() + 150), `deadlines ${deadlines}`);
  });

  it("leaves a call's own timeout or deadline alone", async () => {
    const service = new Greeter();
    await using pair = await startPair(service, undefined, { interceptors: [defaultDeadline(150)] });
    const client = new GreeterClient(pair.channel);
    const before = Date.now();
    await client.sayHello({ name: "a" }, { timeout: 30_000 });
    await client.sayHello({ name: "b" }, { deadline: before + 20_000 });
    assert.ok(service.deadlines[0]! >= before + 29_000, `timeout gave ${service.deadlines[0]! - before} ms`);
    assert.ok(service.deadlines[1]! >= before + 19_000 && service.deadlines[1]! <= before + 20_100, `deadline gave ${service.deadlines[1]! - before} ms`);
    assert.throws(() => defaultDeadline(-1), RangeError);
  });

  it("does not override a deadline propagated from the server call a call is made in", async () => {
    const inner = new Greeter();
    await using innerPair = await startPair(inner);
    await using relayChannel = new Channel(`127.0.0.1:${innerPair.port}`, { interceptors: [defaultDeadline(60_000)] });
    /** Calls the inner server from inside its handler: the nested call inherits this call's deadline. */
    class Relay extends Greeter {
      override async sayHello(request: HelloRequest) {
        return new GreeterClient(relayChannel).sayHello(request);
      }
    }
    await using outer = await startPair(new Relay());
    const before = Date.now();
    await new GreeterClient(outer.channel).sayHello({ name: "relay" }, { timeout: 2_000 });
    await new GreeterClient(outer.channel).sayHello({ name: "relay without deadline" });
    const [propagated, defaulted] = inner.deadlines;
    assert.ok(propagated! <= before + 2_100, `nested call got ${propagated! - before} ms`);
    assert.ok(defaulted! >= before + 59_000, `nested call without a parent deadline got ${defaulted! - before} ms`);
  });
});
