// The interop test server on @grpc/grpc-js, the reference peer for our client:
//
//   node --import tsx test/interop/grpc-js-server.ts --port 0 [--host 127.0.0.1] [--use_tls false] [TLS flags as server.ts]
//
// Same behaviour and output as server.ts: prints `listening on HOST:PORT`,
// runs until SIGTERM or SIGINT, then shuts down and exits 0.
//
// Of the compression features it has CompressedRequest (through the
// interceptor below) but not CompressedResponse: grpc-js servers never
// compress responses (server-interceptors.js: "response compression is
// currently not supported"), so `response_compressed` is ignored.
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { SERVER_TLS_FLAGS, SERVER_TLS_USAGE, UsageError, parseFlags, runMain, serverTls } from "./args.js";
import {
  TestService,
  type BoolValue,
  type EchoStatus,
  type Empty,
  type SimpleRequest,
  type SimpleResponse,
  type StreamingInputCallRequest,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
} from "./grpc-js-proto.js";

const USAGE = `usage: node --import tsx test/interop/grpc-js-server.ts --port PORT [--host HOST] [TLS flags]

${SERVER_TLS_USAGE}`;
const ECHO_INITIAL = "x-grpc-test-echo-initial";
const ECHO_TRAILING = "x-grpc-test-echo-trailing-bin";
const CLOSE_GRACE_MS = 5_000;

/** What the handlers here need of any kind of grpc-js server call. */
type Call = Pick<grpc.ServerUnaryCall<unknown, unknown>, "metadata" | "sendMetadata">;
type ResponseWriter = Pick<grpc.ServerWritableStream<unknown, StreamingOutputCallResponse>, "cancelled" | "write">;

/** A handler's way to end a call with a status: a grpc-js ServiceError-like object. */
class StatusError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

/** Echo Metadata: sends `x-grpc-test-echo-initial` back now; returns the trailers to end the call with. */
function echoMetadata(call: Call): grpc.Metadata {
  const initial = call.metadata.get(ECHO_INITIAL);
  if (initial.length > 0) {
    const headers = new grpc.Metadata();
    headers.set(ECHO_INITIAL, initial[0]!);
    call.sendMetadata(headers);
  }
  const trailers = new grpc.Metadata();
  const trailing = call.metadata.get(ECHO_TRAILING);
  if (trailing.length > 0) trailers.set(ECHO_TRAILING, trailing[0]!);
  return trailers;
}

/** The request messages that arrived with the compressed flag set (see `recordCompressedFlag`). */
const compressedRequests = new WeakSet<object>();

/**
 * grpc-js hands handlers no per-message compressed flag. This interceptor is
 * the first one, so it gets grpc-js's own call object, whose
 * `decompressMessage(framedMessage, encoding)` sees every message's 5-byte
 * prefix in arrival order; it records the flags and marks each message as
 * the listener passes it on, in the same order. (Internal to grpc-js, which
 * is pinned to 1.14.7 here.)
 */
const recordCompressedFlag: grpc.ServerInterceptor = (_method, call) => {
  const flags: boolean[] = [];
  const base = call as unknown as { decompressMessage(message: Buffer, encoding: string): unknown };
  if (typeof base.decompressMessage !== "function") throw new Error("grpc-js internals changed: no decompressMessage on the server call");
  const decompress = base.decompressMessage.bind(base);
  base.decompressMessage = (message, encoding) => {
    flags.push(message[0] === 1);
    return decompress(message, encoding);
  };
  return new grpc.ServerInterceptingCall(call, {
    start: (next) =>
      next(
        new grpc.ServerListenerBuilder()
          .withOnReceiveMessage((message: object, nextMessage) => {
            if (flags.shift() === true) compressedRequests.add(message);
            nextMessage(message);
          })
          .build(),
      ),
  });
};

/** CompressedRequest: a request that says it is compressed must have arrived with the compressed flag. */
function checkCompressed(request: { expect_compressed?: BoolValue | null }): void {
  if (request.expect_compressed?.value === true && !compressedRequests.has(request)) {
    throw new StatusError(grpc.status.INVALID_ARGUMENT, "expected a compressed request, got an uncompressed one");
  }
}

function echoStatus(status: EchoStatus | null | undefined): void {
  if (status && status.code !== 0) throw new StatusError(status.code, status.message);
}

function payload(type: string | undefined, size: number | undefined) {
  if (type !== undefined && type !== "COMPRESSABLE") throw new StatusError(grpc.status.INVALID_ARGUMENT, `unsupported response type ${type}`);
  return { type: "COMPRESSABLE", body: Buffer.alloc(size ?? 0) };
}

/** The status a handler error ends the call with. */
function toStatus(error: unknown, trailers: grpc.Metadata): Partial<grpc.StatusObject> {
  if (error instanceof StatusError) return { code: error.code, details: error.details, metadata: trailers };
  return { code: grpc.status.UNKNOWN, details: String(error), metadata: trailers };
}

async function respond(request: StreamingOutputCallRequest, call: ResponseWriter) {
  for (const parameters of request.response_parameters ?? []) {
    if ((parameters.interval_us ?? 0) > 0) await sleep((parameters.interval_us ?? 0) / 1000);
    if (call.cancelled) return;
    call.write({ payload: payload(request.response_type, parameters.size) });
  }
}

/**
 * The requests of a streaming call. Not a plain `for await` over the call: that
 * destroys the stream when the loop throws, and the status would never go out.
 */
function requests(call: grpc.ServerDuplexStream<StreamingOutputCallRequest, unknown>): AsyncIterable<StreamingOutputCallRequest> {
  return call.iterator({ destroyOnReturn: false });
}

const implementation: grpc.UntypedServiceImplementation = {
  EmptyCall(call: grpc.ServerUnaryCall<Empty, Empty>, callback: grpc.sendUnaryData<Empty>) {
    callback(null, {}, echoMetadata(call));
  },

  UnaryCall(call: grpc.ServerUnaryCall<SimpleRequest, SimpleResponse>, callback: grpc.sendUnaryData<SimpleResponse>) {
    const trailers = echoMetadata(call);
    try {
      echoStatus(call.request.response_status);
      checkCompressed(call.request);
      callback(null, { payload: payload(call.request.response_type, call.request.response_size) }, trailers);
    } catch (error) {
      callback(toStatus(error, trailers));
    }
  },

  CacheableUnaryCall(call: grpc.ServerUnaryCall<SimpleRequest, SimpleResponse>, callback: grpc.sendUnaryData<SimpleResponse>) {
    const trailers = echoMetadata(call);
    const headers = new grpc.Metadata();
    headers.set("cache-control", "max-age=60, public");
    call.sendMetadata(headers);
    callback(null, { payload: { type: "COMPRESSABLE", body: Buffer.from(process.hrtime.bigint().toString()) } }, trailers);
  },

  StreamingOutputCall(call: grpc.ServerWritableStream<StreamingOutputCallRequest, StreamingOutputCallResponse>) {
    const trailers = echoMetadata(call);
    void (async () => {
      echoStatus(call.request.response_status);
      await respond(call.request, call);
    })().then(
      () => call.end(trailers),
      (error) => call.emit("error", toStatus(error, trailers)),
    );
  },

  StreamingInputCall(
    call: grpc.ServerReadableStream<StreamingInputCallRequest, StreamingInputCallResponse>,
    callback: grpc.sendUnaryData<StreamingInputCallResponse>,
  ) {
    const trailers = echoMetadata(call);
    let size = 0;
    let failed = false;
    call.on("data", (request: StreamingInputCallRequest) => {
      if (failed) return;
      try {
        checkCompressed(request);
      } catch (error) {
        failed = true;
        callback(toStatus(error, trailers));
        return;
      }
      size += request.payload?.body?.byteLength ?? 0;
    });
    call.on("end", () => {
      if (!failed) callback(null, { aggregated_payload_size: size }, trailers);
    });
    call.on("error", () => {});
  },

  FullDuplexCall(call: grpc.ServerDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>) {
    const trailers = echoMetadata(call);
    void (async () => {
      for await (const request of requests(call)) {
        echoStatus(request.response_status);
        await respond(request, call);
      }
    })().then(
      () => call.end(trailers),
      (error) => call.emit("error", toStatus(error, trailers)),
    );
  },

  HalfDuplexCall(call: grpc.ServerDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>) {
    const trailers = echoMetadata(call);
    void (async () => {
      const all: StreamingOutputCallRequest[] = [];
      for await (const request of requests(call)) all.push(request);
      for (const request of all) {
        echoStatus(request.response_status);
        await respond(request, call);
      }
    })().then(
      () => call.end(trailers),
      (error) => call.emit("error", toStatus(error, trailers)),
    );
  },

  // UnimplementedCall is left out: grpc-js answers UNIMPLEMENTED, as the spec wants.
};

await runMain(USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), { port: "port", host: "string", ...SERVER_TLS_FLAGS });
  const tls = serverTls(flags);
  const credentials =
    tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(tls.ca ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.requireClientCert);
  if (flags.port === undefined) throw new UsageError("--port is required (0 picks a free port)");
  const host = flags.host ?? "127.0.0.1";

  const server = new grpc.Server({ interceptors: [recordCompressedFlag] });
  server.addService(TestService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host.includes(":") ? `[${host}]` : host}:${flags.port}`, credentials, (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
  console.log(`listening on ${host.includes(":") ? `[${host}]` : host}:${port}`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  console.log(`${signal}: closing`);
  const timer = setTimeout(() => server.forceShutdown(), CLOSE_GRACE_MS);
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  clearTimeout(timer);
  console.log("server stopped");
});
