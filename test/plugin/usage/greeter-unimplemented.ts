// Hand-written code for the `unimplemented=true` output: a server implements
// only some methods, the others fail with UNIMPLEMENTED. The plugin test copies
// it next to the generated code and type-checks it there.
import { GrpcError, Server, Status, type ServerCall } from "tsgrpc";
import { ClashingBase } from "./clashing/clashing_grpc.js";
import { GreeterBase } from "./helloworld/helloworld_grpc.js";
import type { HelloReply, HelloRequest } from "./helloworld/helloworld_pb.js";
import { NothingBase } from "./empty/empty_grpc.js";

class PartialGreeter extends GreeterBase {
  override async sayHello(request: HelloRequest): Promise<HelloReply> {
    return { $typeName: "helloworld.HelloReply", message: request.name };
  }

  override async *lotsOfReplies(request: HelloRequest, call: ServerCall) {
    if (call.signal.aborted) return;
    yield { message: request.name };
  }
}

/** Only `then$` is implemented. */
class PartialClashing extends ClashingBase {
  override async then$() {
    return {};
  }
}

export function serve(): Server {
  return new Server().add(new PartialGreeter()).add(new PartialClashing()).add(new (class extends NothingBase {})());
}

/** The inherited methods reject with GrpcError(UNIMPLEMENTED). */
export async function isUnimplemented(call: ServerCall): Promise<boolean> {
  try {
    await new PartialGreeter().lotsOfGreetings((async function* () {})(), call);
    return false;
  } catch (error) {
    return error instanceof GrpcError && error.code === Status.UNIMPLEMENTED;
  }
}
