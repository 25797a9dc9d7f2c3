// Our implementation of grpc.testing.TestService, the server side of the gRPC
// interop tests ("Server" section of grpc/grpc doc/interop-test-descriptions.md).
import { setTimeout as sleep } from "node:timers/promises";
import { GrpcError, Status, type ServerCall } from "tsgrpc";
import { TestServiceBase } from "../../examples/gen/grpc/testing/test_grpc.js";
import type { Empty } from "../../examples/gen/grpc/testing/empty_pb.js";
import {
  PayloadType,
  type BoolValue,
  type EchoStatus,
  type ResponseParameters,
  type SimpleRequest,
  type StreamingInputCallRequest,
  type StreamingOutputCallRequest,
} from "../../examples/gen/grpc/testing/messages_pb.js";

const ECHO_INITIAL = "x-grpc-test-echo-initial";
const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";

export class InteropTestService extends TestServiceBase {
  /** EmptyCall: returns the empty message. */
  async emptyCall(_request: Empty, call: ServerCall) {
    echoMetadata(call);
    return {};
  }

  /** UnaryCall: a payload of `response_size` zero bytes, or the status asked for. */
  async unaryCall(request: SimpleRequest, call: ServerCall) {
    echoMetadata(call);
    echoStatus(request.responseStatus);
    checkCompressed(request.expectCompressed, call.wasCompressed(request));
    compressResponse(call, request.responseCompressed);
    return { payload: payload(request.responseType, request.responseSize) };
  }

  /** CacheableUnaryCall: the current time in nanoseconds, with cache-control headers. */
  async cacheableUnaryCall(_request: SimpleRequest, call: ServerCall) {
    echoMetadata(call);
    call.header.set("cache-control", "max-age=60, public");
    const now = process.hrtime.bigint().toString();
    return { payload: { type: PayloadType.COMPRESSABLE, body: new TextEncoder().encode(now) } };
  }

  /** StreamingOutputCall: one response per ResponseParameters, each after its `interval_us`. */
  async *streamingOutputCall(request: StreamingOutputCallRequest, call: ServerCall) {
    echoMetadata(call);
    echoStatus(request.responseStatus);
    // The algorithm goes in the headers: picked before the first response, then turned on and off per response.
    if (request.responseParameters.some((p) => p.compressed?.value === true)) call.setCompression("gzip");
    yield* respond(request, call);
  }

  /** StreamingInputCall: the sum of the request payload sizes, after the client half-closes. */
  async streamingInputCall(requests: AsyncIterable<StreamingInputCallRequest>, call: ServerCall) {
    echoMetadata(call);
    let aggregatedPayloadSize = 0;
    for await (const request of requests) {
      checkCompressed(request.expectCompressed, call.wasCompressed(request));
      aggregatedPayloadSize += request.payload?.body.byteLength ?? 0;
    }
    return { aggregatedPayloadSize };
  }

  /** FullDuplexCall: answers each request as it comes; a request with `response_status` ends the call with it. */
  async *fullDuplexCall(requests: AsyncIterable<StreamingOutputCallRequest>, call: ServerCall) {
    echoMetadata(call);
    for await (const request of requests) {
      echoStatus(request.responseStatus);
      yield* respond(request, call);
    }
  }

  /** HalfDuplexCall: reads every request first, then answers them in order. */
  async *halfDuplexCall(requests: AsyncIterable<StreamingOutputCallRequest>, call: ServerCall) {
    echoMetadata(call);
    const all: StreamingOutputCallRequest[] = [];
    for await (const request of requests) all.push(request);
    for (const request of all) {
      echoStatus(request.responseStatus);
      yield* respond(request, call);
    }
  }

  /**
   * UnimplementedCall: the interop spec wants servers to leave it out, and the
   * generated base class makes every method abstract, so it says so itself.
   */
  async unimplementedCall(_request: Empty, _call: ServerCall): Promise<Empty> {
    throw new GrpcError(Status.UNIMPLEMENTED, "method grpc.testing.TestService.UnimplementedCall is not implemented");
  }
}

/** Echo Metadata: `x-grpc-test-echo-initial` back in the headers, `x-grpc-test-echo-trailing-bin` in the trailers. */
function echoMetadata(call: ServerCall): void {
  const initial = call.metadata.get(ECHO_INITIAL);
  if (initial !== undefined) call.header.set(ECHO_INITIAL, initial);
  const trailing = call.metadata.get(ECHO_TRAILING);
  if (trailing !== undefined) call.trailer.set(ECHO_TRAILING, trailing);
}

/** Echo Status: a request carrying a non-OK `response_status` ends the call with that status. */
function echoStatus(status: EchoStatus | undefined): void {
  if (status === undefined || status.code === Status.OK) return;
  // Codes beyond 16 are legal on the wire; the server passes them through unchanged.
  throw new GrpcError(status.code as Status, status.message);
}

/** CompressedRequest: a request that says it is compressed must have arrived with the compressed flag. */
function checkCompressed(expectCompressed: BoolValue | undefined, compressed: boolean): void {
  if (expectCompressed?.value === true && !compressed) {
    throw new GrpcError(Status.INVALID_ARGUMENT, "expected a compressed request, got an uncompressed one");
  }
}

/** CompressedResponse: `response_compressed` says whether the response is compressed (gzip) or not. */
function compressResponse(call: ServerCall, compressed: BoolValue | undefined): void {
  call.setCompression(compressed?.value === true ? "gzip" : "identity");
}

function payload(type: PayloadType, size: number) {
  if (type !== PayloadType.COMPRESSABLE) throw new GrpcError(Status.INVALID_ARGUMENT, `unsupported response type ${type}`);
  if (size < 0) throw new GrpcError(Status.INVALID_ARGUMENT, `negative response size ${size}`);
  return { type, body: new Uint8Array(size) };
}

/** The responses for one streaming request, honouring each `interval_us` (a sleep before that response). */
async function* respond(request: StreamingOutputCallRequest, call: ServerCall) {
  for (const parameters of request.responseParameters) {
    await pause(parameters, call);
    compressResponse(call, parameters.compressed);
    yield { payload: payload(request.responseType, parameters.size) };
  }
}

async function pause(parameters: ResponseParameters, call: ServerCall): Promise<void> {
  if (parameters.intervalUs > 0) await sleep(parameters.intervalUs / 1000, undefined, { signal: call.signal });
}
