// The interop test server on tsgrpc:
//
//   npm run interop:server -- --port 8080 [--host 127.0.0.1] [--use_tls false]
//
// Prints `listening on HOST:PORT` once it accepts calls (`--port 0` picks a
// free port) and runs until SIGTERM or SIGINT, then closes gracefully and
// exits 0.
import { Server } from "tsgrpc";
import { UsageError, parseFlags, rejectTls, requireGenerated, runMain } from "./args.js";

const USAGE = `usage: npm run interop:server -- --port PORT [--host HOST] [--use_tls false]

  --port     port to listen on; 0 picks a free one (required)
  --host     address to listen on (default 127.0.0.1)
  --use_tls  only false: TLS is not supported yet`;

/** How long a graceful close may wait for calls in flight before they are cut. */
const CLOSE_GRACE_MS = 5_000;

await runMain(USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), { port: "port", host: "string", use_tls: "boolean" });
  rejectTls(flags.use_tls);
  if (flags.port === undefined) throw new UsageError("--port is required (0 picks a free port)");
  requireGenerated();
  // Loaded after the checks, so a missing `npm run generate` gets the message above.
  const { InteropTestService } = await import("./test-service.js");

  const server = new Server().add(new InteropTestService());
  const host = flags.host ?? "127.0.0.1";
  const { port } = await server.listen({ host, port: flags.port });
  console.log(`listening on ${host.includes(":") ? `[${host}]` : host}:${port}`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  console.log(`${signal}: closing`);
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), CLOSE_GRACE_MS);
  });
  if (await Promise.race([server.close().then(() => false), forced])) {
    console.log(`calls still running after ${CLOSE_GRACE_MS} ms: closing them`);
    await server.forceClose();
  }
  clearTimeout(timer);
  console.log("server stopped");
});
