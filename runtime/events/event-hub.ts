import type { GrpcEvent } from "./events.js";

/** A listener: may be async; the call waits for it (except where an event says otherwise). */
export type EventListener<E> = (event: E) => void | Promise<void>;

/** An event class, as passed to `listen()`. */
export type EventType<E extends GrpcEvent> = abstract new (...args: never[]) => E;

/**
 * The listeners of one Channel or Server, by event type. Listeners run in the
 * order they were added, each after the previous one finished, until one
 * calls `event.interrupt()`.
 * @internal
 */
export class EventHub {
  readonly #listeners = new Map<EventType<GrpcEvent>, EventListener<GrpcEvent>[]>();

  /** How many event types have listeners: zero means the events interceptor is not installed. */
  get size(): number {
    return this.#listeners.size;
  }

  add<E extends GrpcEvent>(type: EventType<E>, listener: EventListener<E>): () => void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener as EventListener<GrpcEvent>);
    this.#listeners.set(type, list);
    return () => {
      const current = this.#listeners.get(type);
      if (current === undefined) return;
      const at = current.indexOf(listener as EventListener<GrpcEvent>);
      if (at >= 0) current.splice(at, 1);
      if (current.length === 0) this.#listeners.delete(type);
    };
  }

  has(type: EventType<GrpcEvent>): boolean {
    return this.#listeners.has(type);
  }

  /** Runs the listeners of `event`'s type in order, awaiting each, until one interrupts. */
  async dispatch(event: GrpcEvent): Promise<void> {
    const list = this.#listeners.get(event.constructor as EventType<GrpcEvent>);
    if (list === undefined) return;
    for (const listener of list.slice()) {
      await listener(event);
      if (event.interrupted) return;
    }
  }

  /**
   * Runs the listeners of `event`'s type without waiting (for events sent
   * from synchronous points, just before headers or trailers go out): a
   * listener's promise is not awaited, and a failure is reported, not thrown.
   */
  dispatchSync(event: GrpcEvent): void {
    const list = this.#listeners.get(event.constructor as EventType<GrpcEvent>);
    if (list === undefined) return;
    const report = (error: unknown) => console.error(`tsgrpc: ${event.constructor.name} listener failed:`, error);
    for (const listener of list.slice()) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch(report);
      } catch (error) {
        // Headers or trailers are on their way out; a failing listener must not stop them.
        report(error);
      }
      if (event.interrupted) return;
    }
  }
}
