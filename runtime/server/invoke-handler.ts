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
      return (async function* () {
        yield (await fn(await single(requests, call), call)) as ServerResponseMessage;
      })();
    case "server_streaming":
      return (async function* () {
        yield* await responseStream(fn(await single(requests, call), call), call);
      })();
    case "client_streaming":
      return (async function* () {
        yield (await fn(requests, call)) as ServerResponseMessage;
      })();
    case "bidi_streaming":
      return (async function* () {
        yield* await responseStream(fn(requests, call), call);
      })();
  }
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

/** The one request of a unary or server-streaming call. */
async function single(requests: AsyncIterable<ServerRequestMessage>, call: ServerCall): Promise<ServerRequestMessage> {
  for await (const request of requests) return request;
  throw new GrpcError(Status.UNIMPLEMENTED, `method ${call.path} expects a request message, got none`);
}
