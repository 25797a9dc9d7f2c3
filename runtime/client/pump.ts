import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { StreamInput } from "./service-client.js";

/** Where `pump` sends requests: a call's request side. */
export interface RequestSink<I extends DescMessage> {
  /** Sends one message; false when the stream's buffer is full (wait for `drained()`). Throws once the call has ended. */
  write(message: MessageInitShape<I>): boolean;
  drained(): Promise<void>;
  /** Ends the request side. */
  end(): void;
  /** Ends the call with `error` (the request stream failed). */
  abort(error: GrpcError): void;
}

/**
 * Sends every message of `requests`, then ends the request side. If the call
 * ends first, sending stops (and the iterable's `return()` runs); if the
 * iterable throws, the call is cancelled with that error.
 */
export async function pump<I extends DescMessage>(call: RequestSink<I>, requests: StreamInput<I>): Promise<void> {
  let sending = false;
  try {
    if (Symbol.asyncIterator in requests) {
      for await (const message of requests) {
        sending = true;
        if (!call.write(message)) await call.drained();
        sending = false;
      }
    } else {
      // A sync iterable is sent without a promise per message; only backpressure waits.
      for (const message of requests) {
        sending = true;
        if (!call.write(message)) await call.drained();
        sending = false;
      }
    }
  } catch (error) {
    // A failed send means the call already ended, and its status says why.
    if (!sending) {
      const detail = error instanceof Error ? error.message : String(error);
      call.abort(new GrpcError(Status.CANCELLED, `request stream failed: ${detail}`, { cause: error }));
    }
    return;
  }
  call.end();
}
