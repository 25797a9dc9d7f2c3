import { GrpcError, Status, type ServerCall } from "tsgrpc";
import { GreeterBase } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";

/**
 * A Greeter for interceptor tests: replies carry the request's `x-tag`
 * metadata (`[tag]`), every handler counts its runs and the calls it saw,
 * and names steer errors: `unavailable` fails with UNAVAILABLE, `flaky`
 * fails until `failuresLeft` is used up.
 */
export class RecordingGreeter extends GreeterBase {
  handled = 0;
  requestsSeen: string[] = [];
  calls: ServerCall[] = [];
  failuresLeft = 0;

  #tag(call: ServerCall): string {
    const tag = call.metadata.get("x-tag");
    return tag === undefined ? "" : ` [${tag}]`;
  }

  #enter(call: ServerCall, name: string): void {
    this.handled++;
    this.calls.push(call);
    call.trailer.set("x-trailer", "from-handler");
    if (name === "unavailable") throw new GrpcError(Status.UNAVAILABLE, "try again");
    if (name === "flaky" && this.failuresLeft-- > 0) throw new GrpcError(Status.UNAVAILABLE, "flaky");
  }

  async sayHello(request: HelloRequest, call: ServerCall) {
    this.#enter(call, request.name);
    this.requestsSeen.push(request.name);
    return { message: `hello ${request.name}${this.#tag(call)}` };
  }

  async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    this.#enter(call, request.name);
    this.requestsSeen.push(request.name);
    for (let i = 0; i < request.count; i++) yield { message: `${request.name} ${i}${this.#tag(call)}` };
  }

  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>, call: ServerCall) {
    this.#enter(call, "");
    const names: string[] = [];
    for await (const request of requests) {
      this.requestsSeen.push(request.name);
      names.push(request.name);
    }
    return { message: `${names.join(",")}${this.#tag(call)}` };
  }

  async *bidiHello(requests: AsyncIterable<HelloRequest>, call: ServerCall) {
    this.#enter(call, "");
    for await (const request of requests) {
      this.requestsSeen.push(request.name);
      yield { message: `echo ${request.name}${this.#tag(call)}` };
    }
  }
}

/** Collects an async iterable's messages' `message` fields. */
export async function texts(stream: AsyncIterable<{ message: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const reply of stream) out.push(reply.message);
  return out;
}
