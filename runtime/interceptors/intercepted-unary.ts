import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { CallOptions } from "../client/call-options.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { newClientRequest, type ClientNext, type ClientResponse, type Messages } from "./client-interceptor.js";

type Method<I extends DescMessage, O extends DescMessage> = DescMethod & { readonly input: I; readonly output: O };

/**
 * A call that answers one message (unary, client streaming) through an
 * interceptor chain, as one promise: the chain's response is read to its
 * end, which must hold exactly one message. Cancellation is the caller's
 * `signal`, which the transport watches.
 */
export async function interceptedUnary<I extends DescMessage, O extends DescMessage>(
  next: ClientNext,
  method: Method<I, O>,
  requests: Messages<MessageInitShape<I>>,
  options: CallOptions,
): Promise<MessageShape<O>> {
  const request = newClientRequest<I, O>(method, options, requests);
  let response: ClientResponse<O>;
  try {
    response = await next(request);
  } catch (error) {
    const failure = GrpcError.from(error);
    options.onTrailer?.(failure.metadata);
    throw failure;
  }
  options.onHeader?.(response.headers);
  let reply: MessageShape<O> | undefined;
  try {
    // Read to the end (which gives the status): one message, then done. Not `for await`: two next() calls.
    const messages = response.messages;
    const iterator = Symbol.asyncIterator in messages ? messages[Symbol.asyncIterator]() : toAsync(messages[Symbol.iterator]());
    const first = await iterator.next();
    if (first.done !== true) {
      reply = first.value;
      const second = await iterator.next();
      if (second.done !== true) {
        // Stopping early cancels the call (the iterator's return()).
        await iterator.return?.();
        throw new GrpcError(Status.UNIMPLEMENTED, `protocol error: received more than one response message for a ${kindName(method)} call`);
      }
    }
  } catch (error) {
    const failure = GrpcError.from(error);
    options.onTrailer?.(response.trailers.size > 0 ? response.trailers : failure.metadata);
    throw failure;
  }
  options.onTrailer?.(response.trailers);
  if (reply === undefined) throw new GrpcError(Status.UNIMPLEMENTED, `protocol error: no response message for a ${kindName(method)} call`);
  return reply;
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return {
    next: () => Promise.resolve(iterator.next()),
    return: () => Promise.resolve(iterator.return?.() ?? { value: undefined, done: true }),
  };
}

function kindName(method: DescMethod): string {
  return method.methodKind === "unary" ? "unary" : "client-streaming";
}
