// The example server: `npm run example:server -- --port 50051`. Serves the Greeter, health checking
// and server reflection (v1 and v1alpha); SIGTERM or SIGINT closes it gracefully, a second one exits.
import { HealthService, Server, addReflection, gracefulExit } from "tsgrpc";
import { GreeterService } from "./greeter-service.js";

const portFlag = process.argv.indexOf("--port");
const port = portFlag === -1 ? 50051 : Number(process.argv[portFlag + 1]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${process.argv[portFlag + 1]}`);
  process.exit(2);
}

const server = new Server().add(new GreeterService());
server.add(new HealthService(server)); // grpc.health.v1: "" and greeter.v1.Greeter are SERVING until shutdown
addReflection(server); // grpc.reflection.v1 and v1alpha, for buf curl, grpcurl, Postman
const address = await server.listen({ host: "127.0.0.1", port });
console.log(`example server listening on ${address.host}:${address.port}`);

gracefulExit([server], { graceMs: 5_000 });
server.signal.addEventListener("abort", () => console.log("shutting down"));
