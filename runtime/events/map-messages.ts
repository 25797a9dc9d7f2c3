import type { Messages } from "../interceptors/client-interceptor.js";

/** `messages` with each one passed through `map` (which may be async), in order. */
export async function* mapMessages<T, U>(messages: Messages<T>, map: (message: T) => U | Promise<U>): AsyncGenerator<U> {
  for await (const message of messages) yield await map(message);
}
