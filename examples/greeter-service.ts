import type { ServerCall } from "tsgrpc";
import { GreeterBase } from "./gen/greeter/v1/greeter_grpc.js";
import type { HelloRequest } from "./gen/greeter/v1/greeter_pb.js";

/** The example Greeter: one method of each kind. */
export class GreeterService extends GreeterBase {
  async sayHello(request: HelloRequest, call: ServerCall) {
    call.trailer.set("x-served-by", "tsgrpc-example");
    return { message: `Hello, ${request.name}!` };
  }

  async *lotsOfReplies(request: HelloRequest) {
    for (let i = 1; i <= request.count; i++) {
      yield { message: `Hello #${i}, ${request.name}!` };
    }
  }

  async lotsOfGreetings(requests: AsyncIterable<HelloRequest>) {
    const names: string[] = [];
    for await (const request of requests) names.push(request.name);
    return { message: `Hello, ${names.join(" and ")}!` };
  }

  async *bidiHello(requests: AsyncIterable<HelloRequest>) {
    for await (const request of requests) {
      yield { message: `Hi ${request.name}, nice to meet you.` };
    }
  }
}
