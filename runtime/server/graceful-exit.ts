import { constants } from "node:os";
import type { Server } from "./server.js";

/** Options of `gracefulExit()`. */
export interface GracefulExitOptions {
  /** Passed to `server.close()`: how long calls in flight may go on (default: until they finish). */
  graceMs?: number;
  /** The signals to handle. Default: SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
}

/**
 * Handles SIGINT and SIGTERM as grpclib's `graceful_exit` does: the first
 * signal closes the servers gracefully (`server.close({ graceMs })`), so the
 * process exits on its own once they are closed and nothing else keeps it
 * alive; a second signal exits at once with code 128 + the signal's number
 * (130 for SIGINT, 143 for SIGTERM), as a shell reports a killed process.
 * Returns a Disposable that removes the handlers.
 *
 * ```ts
 * await server.listen({ port: 50051 });
 * gracefulExit([server], { graceMs: 10_000 });
 * ```
 */
export function gracefulExit(servers: Iterable<Server>, options: GracefulExitOptions = {}): Disposable {
  const list = [...servers];
  const signals = options.signals ?? ["SIGINT", "SIGTERM"];
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    closing = true;
    for (const server of list) void server.close({ graceMs: options.graceMs });
  };
  for (const signal of signals) process.on(signal, onSignal);
  return {
    [Symbol.dispose]() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
