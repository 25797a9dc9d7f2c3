import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { runWithCall } from "../context/call-context.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { Route } from "./routes.js";
import type { ServerCall, ServerCallImpl } from "./server-call.js";

type Call = ServerCallImpl<DescMessage, DescMessage>;
type Out = MessageInitShape<DescMessage>;
type In = MessageShape<DescMessage>;

/**
 * Runs a handler for one call, by the method's kind, and ends the call with
 * the handler's outcome. Never throws: every failure becomes a status.
 */
export function dispatch(call: Call, route: Route, withContext: boolean): Promise<void> {
  // The handler runs with `call` as the current server call, so the calls it makes inherit its deadline and cancellation.
  return withContext ? runWithCall(call, () => run(call, route)) : run(call, route);
}

async function run(call: Call, route: Route): Promise<void> {
  const handler = route.handler as ((input: unknown, call: ServerCall) => unknown) | undefined;
  if (handler === undefined) {
    call.fail(new GrpcError(Status.UNIMPLEMENTED, `method ${route.method.parent.typeName}.${route.method.name} is not implemented`));
    return;
  }
  try {
    switch (route.method.methodKind) {
      case "unary": {
        const request = await call.readRequest();
        call.sendUnary((await handler(request, call)) as Out);
        return;
      }
      case "server_streaming": {
        const request = await call.readRequest();
        await sendAll(call, handler(request, call) as AsyncIterable<Out>);
        return;
      }
      case "client_streaming": {
        call.sendUnary((await handler(call.requests() as AsyncIterable<In>, call)) as Out);
        return;
      }
      case "bidi_streaming": {
        await sendAll(call, handler(call.requests() as AsyncIterable<In>, call) as AsyncIterable<Out>);
        return;
      }
    }
  } catch (error) {
    call.fail(error);
  }
}

async function sendAll(call: Call, responses: AsyncIterable<Out>): Promise<void> {
  for await (const response of responses) {
    const drained = call.send(response);
    if (drained !== undefined) await drained;
  }
  call.finish();
}
