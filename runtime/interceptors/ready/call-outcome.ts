import type { DescMessage, DescMethod } from "@bufbuild/protobuf";
import type { Metadata } from "../../metadata/metadata.js";
import { GrpcError } from "../../status/grpc-error.js";
import { Status } from "../../status/status.js";
import type { ClientNext, ClientRequest, ClientResponse } from "../client-interceptor.js";
import { watchEnd } from "../watch-end.js";

/** Which service and method a call is for: `greeter.v1.Greeter` and `SayHello` for `/greeter.v1.Greeter/SayHello`. */
export interface MethodLabels {
  /** The fully qualified service name, `package.Service`. */
  readonly service: string;
  /** The method name, `Method`. */
  readonly method: string;
}

/** The service and method labels of `method`. */
export function methodLabels(method: DescMethod): MethodLabels {
  return { service: method.parent.typeName, method: method.name };
}

/** How a client call ended, as the ready-made client interceptors see it. */
export interface ClientOutcome {
  readonly code: Status;
  /** The status message (empty for OK). */
  readonly message: string;
  /** The server's address, or `""` when the call ended before any response headers. */
  readonly peer: string;
  /** The response headers (empty when there were none). */
  readonly headers: Metadata | undefined;
}

/**
 * Calls `next(request)` and reports how the call ended, once: `next()`
 * rejecting (a trailers-only error, a connection failure), the response
 * messages ending (OK) or throwing (the status), or the caller stopping early
 * (CANCELLED). The response is passed on unchanged except for its message
 * stream, which is wrapped to see the end.
 * @internal
 */
export async function observeClientCall<I extends DescMessage, O extends DescMessage>(
  next: ClientNext,
  request: ClientRequest<I, O>,
  onEnd: (outcome: ClientOutcome) => void,
): Promise<ClientResponse<O>> {
  let response: ClientResponse<O>;
  try {
    response = await next(request);
  } catch (error) {
    const failure = GrpcError.from(error);
    onEnd({ code: failure.code, message: failure.rawMessage, peer: "", headers: undefined });
    throw error;
  }
  const messages = response.messages;
  const { peer, headers } = response;
  return {
    headers: response.headers,
    peer: response.peer,
    get trailers() {
      return response.trailers;
    },
    messages: watchEnd(messages, (error) => onEnd({ code: error?.code ?? Status.OK, message: error?.rawMessage ?? "", peer, headers })),
  };
}
