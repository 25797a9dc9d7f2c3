import type { Writable } from "node:stream";
import { Status } from "../../status/status.js";

/** A log level the ready-made interceptors use. */
export type LogLevel = "info" | "warn" | "error";

/**
 * Where log records go: pino's, bunyan's and `console`'s shape (an object
 * first, then an optional message), so any of them can be passed as is.
 */
export interface Logger {
  info(record: object, message?: string): void;
  warn(record: object, message?: string): void;
  error(record: object, message?: string): void;
}

/**
 * The level for a call that ended with `code`: OK is `info`; UNKNOWN,
 * UNIMPLEMENTED, INTERNAL and DATA_LOSS, which say the server is at fault,
 * are `error`; every other code (the caller's input, deadlines, cancels,
 * auth, availability) is `warn`.
 */
export function levelForCode(code: number): LogLevel {
  switch (code) {
    case Status.OK:
      return "info";
    case Status.UNKNOWN:
    case Status.UNIMPLEMENTED:
    case Status.INTERNAL:
    case Status.DATA_LOSS:
      return "error";
    default:
      return "warn";
  }
}

/**
 * A logger that writes one JSON object per line, `{"level", "time", "msg", ...record}`,
 * to `stream` (default: standard output). The ready-made logging
 * interceptors use it when given no logger.
 */
export function jsonLogger(stream: Pick<Writable, "write"> = process.stdout): Logger {
  const write = (level: LogLevel) => (record: object, message?: string) => {
    stream.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...(message === undefined ? {} : { msg: message }), ...record })}\n`);
  };
  return { info: write("info"), warn: write("warn"), error: write("error") };
}
