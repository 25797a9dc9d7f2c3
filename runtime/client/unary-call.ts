import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import type { CallOptions } from "./call-options.js";
import type { CallListener } from "./call-transport.js";
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
    const listener = new UnaryListener<I, O>(resolve, reject);
    const transport = (listener.transport = startCall<I, O>(channel, method, options, listener));
    transport.sendLast(request);
  });
}

/** Collects the one response and settles the call's promise (one object per call, no closures). */
class UnaryListener<I extends DescMessage, O extends DescMessage> implements CallListener<O> {
  transport: CallHandle<I> | undefined;
  #response: MessageShape<O> | undefined;
  #count = 0;
  readonly #resolve: (response: MessageShape<O>) => void;
  readonly #reject: (error: unknown) => void;

  constructor(resolve: (response: MessageShape<O>) => void, reject: (error: unknown) => void) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onHeaders(): void {}

  onMessage(message: MessageShape<O>): void {
    if (++this.#count > 1) {
      this.transport?.cancel(new GrpcError(Status.UNIMPLEMENTED, "protocol error: received more than one response message for a unary call"));
      return;
    }
    this.#response = message;
  }

  onClose(error: GrpcError | undefined): void {
    if (error !== undefined) this.#reject(error);
    else if (this.#response === undefined) this.#reject(new GrpcError(Status.UNIMPLEMENTED, "protocol error: no response message for a unary call"));
    else this.#resolve(this.#response);
  }
}
