// A grpc-js server of the example Greeter, in this process, for connection tests (TLS, keepalive, limits).
import * as grpc from "@grpc/grpc-js";
import { grpcJsGreeterService } from "../services/grpc-js-greeter.js";

export interface GrpcJsGreeter extends AsyncDisposable {
  readonly server: grpc.Server;
  readonly port: number;
  /** The peer certificates the SayHello handler saw (mTLS), by subject CN; "" when none. */
  readonly seenClients: string[];
}

/**
 * Starts a grpc-js Greeter on 127.0.0.1 with `credentials` (insecure by default) and server `options`.
 * SayHello answers `Hello, <name>!`; LotsOfReplies sends `count` replies, one every 100 ms.
 */
export async function startGrpcJsGreeter(
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  options: grpc.ServerOptions = {},
): Promise<GrpcJsGreeter> {
  const server = new grpc.Server(options);
  const seenClients: string[] = [];
  server.addService(grpcJsGreeterService().service, {
    SayHello(call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<{ message: string }>) {
      const certificate = call.getAuthContext?.()?.sslPeerCertificate;
      seenClients.push(String(certificate?.subject?.CN ?? ""));
      callback(null, { message: `Hello, ${call.request.name}!` });
    },
    LotsOfReplies(call: grpc.ServerWritableStream<{ name: string; count: number }, unknown>) {
      let sent = 0;
      const timer = setInterval(() => {
        if (call.cancelled || sent >= call.request.count) {
          clearInterval(timer);
          if (!call.cancelled) call.end();
          return;
        }
        call.write({ message: `Hello #${++sent}, ${call.request.name}!` });
      }, 100);
      call.on("cancelled", () => clearInterval(timer));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, port) => (error ? reject(error) : resolve(port))),
  );
  return {
    server,
    port,
    seenClients,
    async [Symbol.asyncDispose]() {
      server.forceShutdown();
    },
  };
}
