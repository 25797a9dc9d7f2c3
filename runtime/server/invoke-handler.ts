import type { DescMethod } from "@bufbuild/protobuf";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { ServerRequestMessage, ServerResponseMessage } from "../interceptors/server-interceptor.js";
import type { ServerCall } from "./server-call.js";

/** A handler of any kind, seen without its types. */
export type AnyHandler = (input: never, call: ServerCall) => unknown;

/**
 * Runs `handler` in the shape interceptors share: requests in as a stream,
 * responses out as a stream, whatever the method's kind. A unary handler's
 * one request is read from the stream and its one response yielded.
 */
export function invokeHandler(
  kind: DescMethod["methodKind"],
  handler: AnyHandler,
  call: ServerCall,
  requests: AsyncIterable<ServerRequestMessage>,
): AsyncIterable<ServerResponseMessage> {
  const fn = handler as (input: unknown, call: ServerCall) => unknown;
  switch (kind) {
    case "unary":
      return new OneMessage(() => single(requests, call).then((request) => fn(request, call)) as Promise<ServerResponseMessage>);
    case "server_streaming":
      return deferred(async () => responseStream(fn(await single(requests, call), call), call));
    case "client_streaming":
      return (async function* () {
        yield (await fn(requests, call)) as ServerResponseMessage;
      })();
    case "bidi_streaming": {
      const out = fn(requests, call);
      // The common case, an async generator, goes through as it is.
      if (out !== null && typeof out === "object" && Symbol.asyncIterator in out) return out as AsyncIterable<ServerResponseMessage>;
      return deferred(() => responseStream(out, call));
    }
  }
}

/**
 * A stream whose source is known only once `open` resolves. After that, each
 * message costs what the source's does: no wrapper promise per message.
 */
function deferred<T>(open: () => Promise<AsyncIterable<T> | Iterable<T>>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let inner: AsyncIterator<T> | undefined;
      let opening: Promise<AsyncIterator<T>> | undefined;
      const start = () =>
        (opening ??= open().then((source) => {
          inner = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : syncToAsync(source[Symbol.iterator]());
          return inner;
        }));
      return {
        next: () => (inner !== undefined ? inner.next() : start().then((it) => it.next())),
        return: (value?: unknown) => {
          const it = inner;
          if (it?.return !== undefined) return it.return(value);
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}

function syncToAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return {
    next: () => Promise.resolve(iterator.next()),
    return: (value?: unknown) => Promise.resolve(iterator.return?.(value) ?? { value: undefined, done: true }),
  };
}

/**
 * A streaming handler's responses. A handler given in a RecvRequest event is
 * not type-checked against the method's kind: an async function (one that
 * throws, say) is awaited, and anything else that is not a stream fails the call.
 */
async function responseStream(out: unknown, call: ServerCall): Promise<AsyncIterable<ServerResponseMessage> | Iterable<ServerResponseMessage>> {
  const value = out instanceof Promise ? await (out as Promise<unknown>) : out;
  if (value !== null && typeof value === "object" && (Symbol.asyncIterator in value || Symbol.iterator in value)) {
    return value as AsyncIterable<ServerResponseMessage>;
  }
  throw new TypeError(`the handler of streaming method ${call.path} returned no stream of responses`);
}

/** The one request of a unary or server-streaming call (straight from the call when the stream is the runtime's own). */
function single(requests: AsyncIterable<ServerRequestMessage>, call: ServerCall): Promise<ServerRequestMessage> {
  if (requests instanceof OneMessage && !requests.taken) return requests.take();
  return firstOf(requests, call);
}

async function firstOf(requests: AsyncIterable<ServerRequestMessage>, call: ServerCall): Promise<ServerRequestMessage> {
  for await (const request of requests) return request;
  throw new GrpcError(Status.UNIMPLEMENTED, `method ${call.path} expects a request message, got none`);
}

/**
 * A stream of exactly one message, produced on the first `next()`: the one
 * request or the one response of a unary call as interceptors see it,
 * without an async generator's promises per step. Iterable once, like a
 * generator.
 * @internal
 */
export class OneMessage<T> implements AsyncIterable<T>, AsyncIterator<T> {
  #produce: (() => Promise<T>) | undefined;

  constructor(produce: () => Promise<T>) {
    this.#produce = produce;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }

  /** Whether the message was read (then the stream is over). */
  get taken(): boolean {
    return this.#produce === undefined;
  }

  /** The message itself (once), for the runtime's own reader of this stream. */
  take(): Promise<T> {
    const produce = this.#produce;
    this.#produce = undefined;
    return produce === undefined ? Promise.reject(new Error("the one message was already read")) : produce();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#produce === undefined) return Promise.resolve({ value: undefined, done: true });
    return this.take().then((value) => ({ value, done: false }));
  }

  return(): Promise<IteratorResult<T>> {
    this.#produce = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }
}
