// The example server: `npm run example:server -- --port 50051`. Serves the Greeter, health checking
// and server reflection (v1 and v1alpha); SIGTERM or SIGINT closes it gracefully, a second one exits.
// `--faults FILE` applies the fault rules in FILE, a JSON array, to every call (see README, "Fault injection").
import { readFileSync } from "node:fs";
import { FaultInjector, HealthService, Server, addReflection, gracefulExit } from "tsgrpc";
import { GreeterService } from "./greeter-service.js";

const portFlag = process.argv.indexOf("--port");
const port = portFlag === -1 ? 50051 : Number(process.argv[portFlag + 1]);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${process.argv[portFlag + 1]}`);
  process.exit(2);
}

const faults = loadFaults();
const server = new Server(faults === undefined ? {} : { interceptors: [faults.server()] }).add(new GreeterService());
server.add(new HealthService(server)); // grpc.health.v1: "" and greeter.v1.Greeter are SERVING until shutdown
addReflection(server); // grpc.reflection.v1 and v1alpha, for buf curl, grpcurl, Postman
const address = await server.listen({ host: "127.0.0.1", port });
console.log(`example server listening on ${address.host}:${address.port}`);

gracefulExit([server], { graceMs: 5_000 });
server.signal.addEventListener("abort", () => console.log("shutting down"));

/** The rules of `--faults FILE`, checked before the server starts: a bad file exits with code 2 and says why. */
function loadFaults(): FaultInjector | undefined {
  const flag = process.argv.indexOf("--faults");
  if (flag === -1) return undefined;
  const file = process.argv[flag + 1];
  if (file === undefined || file.startsWith("--")) {
    console.error("--faults needs a file: a JSON array of rules");
    process.exit(2);
  }
  try {
    const faults = FaultInjector.fromJSON(JSON.parse(readFileSync(file, "utf8")));
    const rules = faults.rules.map((r) => `${r.kind} ${r.method}${r.kind === "delay" ? ` ${r.ms}ms` : ` ${r.status} ${JSON.stringify(r.message)}`}`);
    console.log(`fault rules from ${file}: ${rules.length === 0 ? "none" : rules.join("; ")}`);
    return faults;
  } catch (error) {
    console.error(`invalid --faults ${file}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
