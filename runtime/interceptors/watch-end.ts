import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { Messages } from "./client-interceptor.js";

/**
 * `messages`, with `onEnd` called once when they end: with undefined for OK,
 * the GrpcError they threw, or CANCELLED when the reader stopped early. A
 * promise `onEnd` returns is awaited before the end reaches the reader.
 * For interceptors that must see how a client call ended.
 */
export async function* watchEnd<T>(messages: Messages<T>, onEnd: (error: GrpcError | undefined) => void | Promise<void>): AsyncGenerator<T> {
  let end: GrpcError | undefined = new GrpcError(Status.CANCELLED, "the response stream was abandoned");
  try {
    yield* messages;
    end = undefined;
  } catch (error) {
    end = GrpcError.from(error);
    throw error;
  } finally {
    await onEnd(end);
  }
}
