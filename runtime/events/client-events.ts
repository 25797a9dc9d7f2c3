import type { Message } from "@bufbuild/protobuf";
import { callDeadline } from "../client/call-options.js";
import type { ClientInterceptor, ClientResponse } from "../interceptors/client-interceptor.js";
import { watchEnd } from "../interceptors/watch-end.js";
import type { Metadata } from "../metadata/metadata.js";
import type { EventHub } from "./event-hub.js";
import { RecvInitialMetadata, RecvMessage, RecvTrailingMetadata, SendMessage, SendRequest } from "./events.js";
import { mapMessages } from "./map-messages.js";

/**
 * A channel's event listeners as an interceptor, next to the wire: each
 * event is dispatched only if it has listeners, so a call pays only for
 * the events someone listens to.
 */
export function clientEvents(hub: EventHub, contentType: string): ClientInterceptor {
  return (next) => async (request) => {
    if (hub.has(SendRequest)) {
      const event = new SendRequest(request.metadata, request.path, callDeadline(request.options), contentType);
      await hub.dispatch(event);
      request.metadata = event.metadata;
    }
    if (hub.has(SendMessage)) {
      request.messages = mapMessages(request.messages, async (message) => {
        const event = new SendMessage(message, request.method);
        await hub.dispatch(event);
        return event.message as typeof message;
      });
    }
    const response = await next(request);
    let headers = response.headers;
    if (hub.has(RecvInitialMetadata)) {
      const event = new RecvInitialMetadata(headers);
      await hub.dispatch(event);
      headers = event.metadata;
    }
    let messages = response.messages;
    if (hub.has(RecvMessage)) {
      messages = mapMessages(messages, async (message) => {
        const event = new RecvMessage(message as Message, request.method);
        await hub.dispatch(event);
        return event.message as typeof message;
      });
    }
    if (hub.has(RecvTrailingMetadata)) {
      const trailers = response.trailers;
      messages = watchEnd(messages, async (error) => {
        const event = new RecvTrailingMetadata(trailers, error);
        await hub.dispatch(event);
        // A listener may replace the metadata object: the caller reads the trailers' contents.
        if (event.metadata !== trailers) replaceContents(trailers, event.metadata);
      });
    }
    const out: ClientResponse<typeof request.method.output> = { headers, messages, trailers: response.trailers, peer: response.peer };
    return out;
  };
}

function replaceContents(target: Metadata, source: Metadata): void {
  for (const key of [...target.keys()]) target.delete(key);
  target.merge(source);
}
