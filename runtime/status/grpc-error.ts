import { Metadata } from "../metadata/metadata.js";
import { Status, statusName } from "./status.js";

/**
 * An RPC that ended with a status other than OK.
 *
 * Throw it from a handler to send that status; clients reject with it. Any
 * other error thrown by a handler reaches the client as UNKNOWN, without its
 * message or stack.
 */
export class GrpcError extends Error {
  override readonly name = "GrpcError";
  /** The gRPC status code. */
  readonly code: Status;
  /** The status message as sent on the wire (`grpc-message`), without the code prefix. */
  readonly rawMessage: string;
  /** Trailing metadata sent with the status (on the client: what the server sent). */
  readonly metadata: Metadata;

  constructor(code: Status, message = "", options?: { metadata?: Metadata; cause?: unknown }) {
    super(`${statusName(code)}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.metadata = options?.metadata ?? new Metadata();
  }

  /** Returns `error` if it is a GrpcError, else wraps it with `code` (UNKNOWN by default). */
  static from(error: unknown, code: Status = Status.UNKNOWN): GrpcError {
    if (error instanceof GrpcError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new GrpcError(code, message, { cause: error });
  }
}
