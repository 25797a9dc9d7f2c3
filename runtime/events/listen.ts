import type { Channel } from "../client/channel.js";
import type { Server } from "../server/server.js";
import type { EventListener, EventType } from "./event-hub.js";
import type { ClientEvent, ServerEvent } from "./events.js";

/**
 * Listens for a Channel's events (SendRequest, SendMessage, RecvMessage,
 * RecvInitialMetadata, RecvTrailingMetadata), as grpclib's `listen()`.
 * Listeners run in the order added, each awaited; `event.interrupt()` stops
 * the ones after it. Applies to calls started from now on. Returns a
 * function that removes the listener.
 *
 * ```ts
 * listen(channel, SendRequest, (event) => {
 *   event.metadata.set("x-request-id", randomUUID());
 * });
 * ```
 */
export function listen<E extends ClientEvent>(target: Channel, type: EventType<E>, listener: EventListener<E>): () => void;
/**
 * Listens for a Server's events (RecvRequest, RecvMessage, SendMessage,
 * SendInitialMetadata, SendTrailingMetadata). See the Channel form.
 */
export function listen<E extends ServerEvent>(target: Server, type: EventType<E>, listener: EventListener<E>): () => void;
export function listen(target: Channel | Server, type: EventType<ClientEvent | ServerEvent>, listener: EventListener<ClientEvent | ServerEvent>): () => void {
  return target.events.add(type, listener);
}
