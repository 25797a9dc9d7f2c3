// Hand-written code that uses generated classes the way a user would. The
// plugin test copies it next to the generated code (`helloworld/`,
// `clashing/`, `wkt/`, ...) and type-checks it there with tsc --strict, for the
// `target=ts` output and for the `target=js+dts` declarations.
import { create } from "@bufbuild/protobuf";
import { EmptySchema, type Empty, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Server, type Channel, type ClientCall, type ServerCall } from "tsgrpc";
import { ClashingBase, ClashingClient } from "./clashing/clashing_grpc.js";
import type { Req, Res } from "./clashing/clashing_pb.js";
import { GreeterBase, GreeterClient } from "./helloworld/helloworld_grpc.js";
import { HelloReplySchema, type HelloReply, type HelloReplySchema as HelloReplyDesc, type HelloRequest, type HelloRequestSchema } from "./helloworld/helloworld_pb.js";
import { NothingBase, NothingClient } from "./empty/empty_grpc.js";
import { WellKnownClient } from "./wkt/wkt_grpc.js";

/** A server implementation: plain async methods and `async *` generators. */
class Greeter extends GreeterBase {
  override async sayHello(request: HelloRequest): Promise<HelloReply> {
    return create(HelloReplySchema, { message: `Hello ${request.name}` });
  }

  override async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    for (let i = 0; i < 3 && !call.signal.aborted; i++) {
      // Either an init object or a message.
      yield { message: `${i}: ${request.name}` };
      yield create(HelloReplySchema, { message: "again" });
    }
  }

  override async lotsOfGreetings(requests: AsyncIterable<HelloRequest>) {
    const names: string[] = [];
    for await (const request of requests) names.push(request.name);
    return { message: `Hello ${names.join(", ")}` };
  }

  override async *bidiHello(requests: AsyncIterable<HelloRequest>) {
    for await (const request of requests) yield { message: `Hello ${request.name}` };
  }

  override async sayHelloOld(request: HelloRequest, call: ServerCall) {
    return this.sayHello(request).then((reply) => ({ ...reply, message: reply.message + call.path }));
  }

  override async getGreeting() {
    return {};
  }
}

class Nothing extends NothingBase {}

export function serve(): Server {
  return new Server().add(new Greeter()).add(new Nothing());
}

export async function callGreeter(channel: Channel): Promise<string[]> {
  const client = new GreeterClient(channel, { timeout: 1000 });
  const seen: string[] = [];

  const reply: HelloReply = await client.sayHello({ name: "x" });
  seen.push(reply.message);

  for await (const r of client.lotsOfReplies({ name: "y" }, { timeout: 500 })) {
    const message: string = r.message;
    seen.push(message);
  }

  const greeted: HelloReply = await client.lotsOfGreetings([{ name: "a" }, { name: "b" }]);
  seen.push(greeted.message);

  async function* names() {
    yield { name: "c" };
    yield { name: "d" };
  }
  for await (const r of client.bidiHello(names())) seen.push(r.message);

  const call: ClientCall<typeof HelloRequestSchema, typeof HelloReplyDesc> = client.open.sayHello({ timeout: 100 });
  await call.send({ name: "z" });
  call.end();
  const first: HelloReply | undefined = await call.receive();
  if (first !== undefined) seen.push(first.message);

  new NothingClient(channel);
  return seen;
}

export async function callWellKnown(channel: Channel): Promise<Timestamp> {
  const client = new WellKnownClient(channel);
  const empty: Empty = await client.ping(create(EmptySchema));
  void empty;
  return client.now({});
}

/** Renamed members: `then` became `then$`, `open` became `open$`. */
class Clashing extends ClashingBase {
  override async then$(): Promise<Res> {
    throw new Error("not here");
  }
  override async *open$(_request: Req) {
    yield {};
  }
  override async constructor$() {
    return {};
  }
  override async toString$() {
    return {};
  }
  override async valueOf$() {
    return {};
  }
  override async hasOwnProperty$(requests: AsyncIterable<Req>) {
    for await (const _ of requests);
    return {};
  }
  override async toJSON$() {
    return {};
  }
  override async delete() {
    return {};
  }
  override async *class(requests: AsyncIterable<Req>) {
    for await (const _ of requests) yield {};
  }
  override async get() {
    return {};
  }
  override async set() {
    return {};
  }
  override async static() {
    return {};
  }
  override async abstract() {
    return {};
  }
  override async *async() {}
  override async readonly() {
    return {};
  }
  override async declare() {
    return {};
  }
}

export async function callClashing(channel: Channel): Promise<Res> {
  const client = new ClashingClient(channel);
  for await (const _ of client.open$({})) break;
  client.open.open$();
  new Server().add(new Clashing());
  return client.then$({});
}

// Type-level checks: a client, its `open` object and a service instance must
// never be thenable, or `await client` and `return client` from an async
// function would call an rpc.
type IsThenable<T> = T extends { then: unknown } ? true : false;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const clientIsNotThenable: IsThenable<GreeterClient> = false;
export const clashingClientIsNotThenable: IsThenable<ClashingClient> = false;
export const openIsNotThenable: IsThenable<ClashingClient["open"]> = false;
export const serviceIsNotThenable: IsThenable<ClashingBase> = false;
export const awaitingAClientGivesTheClient: Equal<Awaited<ClashingClient>, ClashingClient> = true;
