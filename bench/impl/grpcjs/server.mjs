// @grpc/grpc-js echo server for the bench contract (README.md).
import { EchoService, grpc } from "./proto.mjs";

const server = new grpc.Server();
server.addService(EchoService.service, {
  Unary(call, callback) {
    callback(null, { data: call.request.data });
  },
  ServerStream(call) {
    const { count, size } = call.request;
    const reply = { data: Buffer.alloc(size) };
    let sent = 0;
    const pump = () => {
      while (sent < count) {
        if (call.cancelled) return;
        sent++;
        if (!call.write(reply)) {
          call.once("drain", pump);
          return;
        }
      }
      call.end();
    };
    pump();
  },
  ClientStream(call, callback) {
    let last = { data: Buffer.alloc(0) };
    call.on("data", (message) => (last = message));
    call.on("end", () => callback(null, last));
    call.on("error", () => {});
  },
  Bidi(call) {
    call.on("data", (message) => {
      if (!call.write(message) && !call.isPaused()) {
        call.pause();
        call.once("drain", () => call.resume());
      }
    });
    call.on("end", () => call.end());
    call.on("error", () => {});
  },
});

const port = Number(process.env.PORT ?? 50051);
server.bindAsync(`${process.env.HOST ?? "127.0.0.1"}:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
  process.stdout.write("READY\n");
});
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
