// The interop test server on tsgrpc:
//
//   npm run interop:server -- --port 8080 [--host 127.0.0.1] [--use_tls false]
//   npm run interop:server -- --port 8080 --use_tls true --cert_file server.pem --key_file server.key \
//     [--require_client_cert true --ca_file ca.pem]
//
// Prints `listening on HOST:PORT` once it accepts calls (`--port 0` picks a
// free port) and runs until SIGTERM or SIGINT, then closes gracefully and
// exits 0.
import { Server } from "tsgrpc";
import { SERVER_TLS_FLAGS, SERVER_TLS_USAGE, UsageError, parseFlags, requireGenerated, runMain, serverTls } from "./args.js";

const USAGE = `usage: npm run interop:server -- --port PORT [--host HOST] [TLS flags]

  --port                 port to listen on; 0 picks a free one (required)
  --host                 address to listen on (default 127.0.0.1)
${SERVER_TLS_USAGE}`;

/** How long a graceful close may wait for calls in flight before they are cut. */
const CLOSE_GRACE_MS = 5_000;

await runMain(USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), { port: "port", host: "string", ...SERVER_TLS_FLAGS });
  const tls = serverTls(flags);
  if (flags.port === undefined) throw new UsageError("--port is required (0 picks a free port)");
  requireGenerated();
  // Loaded after the checks, so a missing `npm run generate` gets the message above.
  const { InteropTestService } = await import("./test-service.js");

  const server = new Server(tls === undefined ? {} : { tls }).add(new InteropTestService());
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
