import type { DescMethod } from "@bufbuild/protobuf";
import type { Metadata } from "../../metadata/metadata.js";
import { statusName, type Status } from "../../status/status.js";
import type { ClientInterceptor } from "../client-interceptor.js";
import type { ServerInterceptor } from "../server-interceptor.js";
import { methodLabels, observeClientCall } from "./call-outcome.js";
import { jsonLogger, levelForCode, type LogLevel, type Logger } from "./logger.js";

/** The one record logged per call, when it ends. */
export interface CallLogRecord {
  /** Which end logged it. */
  readonly side: "server" | "client";
  /** The fully qualified service name, `package.Service`. */
  readonly service: string;
  readonly method: string;
  /** `unary`, `server_streaming`, `client_streaming` or `bidi_streaming`. */
  readonly kind: DescMethod["methodKind"];
  /** The status code, as a number. */
  readonly code: Status;
  /** The status code's name, `"OK"`, `"NOT_FOUND"`. */
  readonly codeName: string;
  /** The status message; absent for OK and for errors without one. */
  readonly message?: string;
  /** From the start of the call (as the interceptor saw it) to its status, in milliseconds. */
  readonly durationMs: number;
  /** The other end: the client's address on the server, the server's on the client (`""` if the call never reached one). */
  readonly peer: string;
  /** The request metadata values of the keys listed in the `metadata` option. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Options of `serverLogging()` and `clientLogging()`. */
export interface LoggingOptions {
  /** Where records go (pino, console, your own). Default: JSON lines on standard output (`jsonLogger()`). */
  logger?: Logger;
  /**
   * Request metadata keys whose values go in the record. None by default:
   * metadata can carry secrets, so keys are named one by one. Binary
   * (`-bin`) values are logged as base64.
   */
  metadata?: readonly string[];
  /** The level for a status code. Default: `levelForCode` (OK info; UNKNOWN, UNIMPLEMENTED, INTERNAL, DATA_LOSS error; the rest warn). */
  level?: (code: Status) => LogLevel;
}

/**
 * A server interceptor that logs one structured record per call when it ends
 * (`CallLogRecord`), at a level picked by its status. It reads the end from
 * `call.status`, so calls ended by a deadline, a cancel or a shutdown are
 * logged too.
 */
export function serverLogging(options: LoggingOptions = {}): ServerInterceptor {
  const logger = options.logger ?? jsonLogger();
  const level = options.level ?? levelForCode;
  return (next) => (call, requests) => {
    const started = performance.now();
    const metadata = pickMetadata(call.metadata, options.metadata);
    const peer = call.peer;
    void call.status.then((status) => {
      const record = makeRecord("server", call.method, status.code, status.message, performance.now() - started, peer, metadata);
      logger[level(status.code)](record, summary(record, call.path));
    });
    return next(call, requests);
  };
}

/**
 * A client interceptor that logs one structured record per call when it ends
 * (`CallLogRecord`), at a level picked by its status: when the response has
 * been read to its end, when it fails, or when the caller stops reading early
 * (CANCELLED).
 */
export function clientLogging(options: LoggingOptions = {}): ClientInterceptor {
  const logger = options.logger ?? jsonLogger();
  const level = options.level ?? levelForCode;
  return (next) => (request) => {
    const started = performance.now();
    const metadata = pickMetadata(request.metadata, options.metadata);
    return observeClientCall(next, request, (outcome) => {
      const record = makeRecord("client", request.method, outcome.code, outcome.message, performance.now() - started, outcome.peer, metadata);
      logger[level(outcome.code)](record, summary(record, request.path));
    });
  };
}

function makeRecord(
  side: "server" | "client",
  method: DescMethod,
  code: Status,
  message: string,
  durationMs: number,
  peer: string,
  metadata: Record<string, string> | undefined,
): CallLogRecord {
  const record: { -readonly [K in keyof CallLogRecord]: CallLogRecord[K] } = {
    side,
    ...methodLabels(method),
    kind: method.methodKind,
    code,
    codeName: statusName(code),
    durationMs: Math.round(durationMs * 1000) / 1000,
    peer,
  };
  if (message !== "") record.message = message;
  if (metadata !== undefined) record.metadata = metadata;
  return record;
}

/** `server call /greeter.v1.Greeter/SayHello: OK in 1.2 ms`. */
function summary(record: CallLogRecord, path: string): string {
  return `${record.side} call ${path}: ${record.codeName} in ${record.durationMs} ms`;
}

function pickMetadata(metadata: Metadata, keys: readonly string[] | undefined): Record<string, string> | undefined {
  if (keys === undefined || keys.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const key of keys) {
    const values = metadata.getAll(key);
    if (values.length === 0) continue;
    out[key] = values.map((v) => (typeof v === "string" ? v : Buffer.from(v).toString("base64"))).join(", ");
  }
  return out;
}
