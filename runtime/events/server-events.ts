import type { Message } from "@bufbuild/protobuf";
import type { ServerInterceptor } from "../interceptors/server-interceptor.js";
import { invokeHandler } from "../server/invoke-handler.js";
import type { ServerCallImpl } from "../server/server-call.js";
import type { EventHub } from "./event-hub.js";
import { RecvMessage, RecvRequest, SendInitialMetadata, SendMessage, SendTrailingMetadata } from "./events.js";
import { mapMessages } from "./map-messages.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";

type AnyCall = ServerCallImpl<never, never>;

/**
 * A server's event listeners as an interceptor, outside all others (next to
 * the wire). Each event is dispatched only if it has listeners.
 */
export function serverEvents(hub: EventHub): ServerInterceptor {
  return (next) => (call, requests) => {
    const impl = call as AnyCall;
    if (hub.has(SendInitialMetadata) || hub.has(SendTrailingMetadata)) {
      impl.hooks = {
        beforeHeaders: (metadata) => {
          if (!hub.has(SendInitialMetadata)) return;
          const event = new SendInitialMetadata(metadata);
          hub.dispatchSync(event);
          return event.metadata;
        },
        beforeTrailers: (metadata, error) => {
          if (!hub.has(SendTrailingMetadata)) return;
          const event = new SendTrailingMetadata(metadata, error);
          hub.dispatchSync(event);
          return event.metadata;
        },
      };
    }
    return (async function* () {
      let run = next;
      if (hub.has(RecvRequest)) {
        const original = impl.handler;
        const event = new RecvRequest(call, original, impl.contentType);
        await hub.dispatch(event);
        if (event.metadata !== call.metadata) impl.replaceMetadata(event.metadata);
        const replaced = event.methodFunc;
        if (replaced !== original) {
          if (replaced === undefined) throw new GrpcError(Status.UNIMPLEMENTED, `method ${call.path} is not implemented`);
          run = (c, r) => invokeHandler(call.method.methodKind, replaced, c, r);
        }
      }
      let input = requests;
      if (hub.has(RecvMessage)) {
        input = mapMessages(requests, async (message) => {
          const event = new RecvMessage(message as Message, call.method);
          await hub.dispatch(event);
          return event.message;
        });
      }
      const responses = run(call, input);
      if (!hub.has(SendMessage)) {
        yield* responses;
        return;
      }
      for await (const message of responses) {
        const event = new SendMessage(message, call.method);
        await hub.dispatch(event);
        yield event.message as typeof message;
      }
    })();
  };
}
