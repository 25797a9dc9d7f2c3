import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { CallOptions } from "./call-options.js";
import type { Channel } from "./channel.js";
import { startCall, type CallHandle } from "./start-call.js";

/**
 * A unary call, on the transport's callbacks directly: no queue, one write
 * for the request and its end, one promise.
 */
export function unaryCall<I extends DescMessage, O extends DescMessage>(
  channel: Channel,
  method: DescMethod,
  request: MessageInitShape<I>,
  options: CallOptions,
): Promise<MessageShape<O>> {
  return new Promise((resolve, reject) => {
    let response: MessageShape<O> | undefined;
    let count = 0;
    const transport: CallHandle<I> = startCall<I, O>(channel, method, options, {
      onHeaders() {},
      onMessage(message) {
        if (++count > 1) {
          transport.cancel(new GrpcError(Status.UNIMPLEMENTED, "protocol error: received more than one response message for a unary call"));
          return;
        }
        response = message;
      },
      onClose(error) {
        if (error !== undefined) reject(error);
        else if (response === undefined) reject(new GrpcError(Status.UNIMPLEMENTED, "protocol error: no response message for a unary call"));
        else resolve(response);
      },
    });
    transport.sendLast(request);
  });
}
