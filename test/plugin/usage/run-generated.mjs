// Runs the generated JavaScript (target=js+dts) with plain node, against the
// built runtime: a server made of generated base classes, generated clients
// calling it over a real HTTP/2 connection on 127.0.0.1. The plugin test copies
// this file to the root of its temporary workspace, where `./protoc-js-dts/`
// and `./protoc-js-dts-unimplemented/` hold the generated code.
import assert from "node:assert/strict";
import { Channel, GrpcError, Server, Status, serviceDescriptor } from "tsgrpc";
import { ClashingBase, ClashingClient } from "./protoc-js-dts/clashing/clashing_grpc.js";
import { Clashing } from "./protoc-js-dts/clashing/clashing_pb.js";
import { GreeterBase, GreeterClient } from "./protoc-js-dts/helloworld/helloworld_grpc.js";
import { Greeter } from "./protoc-js-dts/helloworld/helloworld_pb.js";
import * as unimplemented from "./protoc-js-dts-unimplemented/helloworld/helloworld_grpc.js";
import * as unimplementedPb from "./protoc-js-dts-unimplemented/helloworld/helloworld_pb.js";

const isUnimplemented = (error) => error instanceof GrpcError && error.code === Status.UNIMPLEMENTED;

class Greeting extends GreeterBase {
  async sayHello(request) {
    return { message: `Hello ${request.name}` };
  }
  async *lotsOfReplies(request) {
    yield { message: `1 ${request.name}` };
    yield { message: `2 ${request.name}` };
  }
  async lotsOfGreetings(requests) {
    const names = [];
    for await (const request of requests) names.push(request.name);
    return { message: names.join(",") };
  }
  async *bidiHello(requests) {
    for await (const request of requests) yield { message: request.name.toUpperCase() };
  }
}

// Only `then$` and `open$`: every other method must answer UNIMPLEMENTED.
class PartialClashing extends ClashingBase {
  async then$() {
    return {};
  }
  async *open$() {
    yield {};
    yield {};
  }
}

// The base classes carry their descriptors. (assert.ok: a failing
// assert.equal would print the whole descriptor graph.)
assert.ok(new Greeting()[serviceDescriptor] === Greeter);
assert.ok(new PartialClashing()[serviceDescriptor] === Clashing);

// unimplemented=true: inherited methods reject, generators throw on first next().
class Unimplemented extends unimplemented.GreeterBase {}
const impl = new Unimplemented();
assert.ok(impl[serviceDescriptor] === unimplementedPb.Greeter);
await assert.rejects(impl.sayHello({}, {}), (e) => isUnimplemented(e) && e.rawMessage === "Method helloworld.Greeter.SayHello is not implemented");
await assert.rejects(async () => {
  for await (const _ of impl.bidiHello([], {}));
}, isUnimplemented);

const server = new Server().add(new Greeting()).add(new PartialClashing());
const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
const channel = new Channel(`127.0.0.1:${port}`);
try {
  const client = new GreeterClient(channel, { timeout: 5000 });
  assert.equal((await client.sayHello({ name: "js" })).message, "Hello js");
  const replies = [];
  for await (const reply of client.lotsOfReplies({ name: "js" })) replies.push(reply.message);
  assert.deepEqual(replies, ["1 js", "2 js"]);
  assert.equal((await client.lotsOfGreetings([{ name: "a" }, { name: "b" }])).message, "a,b");
  const upper = [];
  for await (const reply of client.bidiHello([{ name: "x" }, { name: "y" }])) upper.push(reply.message);
  assert.deepEqual(upper, ["X", "Y"]);
  const call = client.open.sayHello();
  await call.send({ name: "open" });
  call.end();
  assert.equal((await call.receive()).message, "Hello open");
  assert.equal(await call.receive(), undefined);
  // A method the class does not implement (abstract methods vanish in JS).
  await assert.rejects(client.getGreeting({}), isUnimplemented);

  // Renamed members: the client is not thenable, and the server finds `then$`.
  const clashing = new ClashingClient(channel, { timeout: 5000 });
  assert.equal("then" in clashing, false);
  assert.equal("then" in clashing.open, false);
  assert.ok((await clashing) === clashing);
  assert.deepEqual(Object.keys(clashing.open), [
    "then$", "open$", "constructor$", "toString$", "valueOf$", "hasOwnProperty$", "toJSON$", "delete",
    "class", "get", "set", "static", "abstract", "async", "readonly", "declare",
  ]);
  assert.equal(typeof clashing.open$, "function");
  await clashing.then$({});
  let count = 0;
  for await (const _ of clashing.open$({})) count++;
  assert.equal(count, 2);
  await assert.rejects(clashing.delete({}), isUnimplemented);
  await assert.rejects(clashing.toString$({}), isUnimplemented);
  // A missing `hasOwnProperty$` must not be served by the inherited
  // Object.prototype.hasOwnProperty (the server may look a handler up by
  // member name, then by localName: only own or class members count).
  await assert.rejects(
    clashing.hasOwnProperty$([{}]),
    isUnimplemented,
    "rpc HasOwnProperty was not answered UNIMPLEMENTED: the server found Object.prototype.hasOwnProperty as its handler",
  );
} finally {
  await channel.close();
  await server.forceClose();
}
console.log("generated JavaScript ran");
