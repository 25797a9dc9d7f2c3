import type { DescMessage } from "@bufbuild/protobuf";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { ClientCallImpl } from "./client-call.js";
import type { StreamInput } from "./service-client.js";

/**
 * Sends every message of `requests`, then ends the request side. If the call
 * ends first, sending stops (and the iterable's `return()` runs); if the
 * iterable throws, the call is cancelled with that error.
 */
export async function pump<I extends DescMessage>(call: ClientCallImpl<I, DescMessage>, requests: StreamInput<I>): Promise<void> {
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
