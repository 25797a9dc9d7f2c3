// The example server: `npm run example:server -- --port 50051`. Runs until SIGTERM or SIGINT.
import { Server } from "tsgrpc";
import { GreeterService } from "./greeter-service.js";

const portFlag = process.argv.indexOf("--port");
const port = portFlag === -1 ? 50051 : Number(process.argv[portFlag + 1]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${process.argv[portFlag + 1]}`);
  process.exit(2);
}

const server = new Server().add(new GreeterService());
const address = await server.listen({ host: "127.0.0.1", port });
console.log(`example server listening on ${address.host}:${address.port}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    console.log(`${signal}: closing`);
    void server.close().then(() => process.exit(0));
  });
}
