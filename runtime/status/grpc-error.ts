import type { DescMessage, Message, MessageShape } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Metadata } from "../metadata/metadata.js";
import { decodeKnownDetails, unpackDetails } from "./error-details.js";
import { Status, statusName } from "./status.js";

/** Options of a GrpcError beyond its code and message. */
export interface GrpcErrorOptions {
  /** Trailing metadata to send with the status. */
  metadata?: Metadata;
  /**
   * Rich error details, sent as a `google.rpc.Status` in `grpc-status-details-bin`.
   * Build them with `errorDetails.badRequest({...})` and friends, or pack any
   * message with `errorDetail(schema, message)`.
   */
  details?: readonly Any[];
  cause?: unknown;
}

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
  /** The error details as packed `Any` messages, in the order sent. */
  readonly rawDetails: readonly Any[];

  constructor(code: Status, message = "", options?: GrpcErrorOptions) {
    super(`${statusName(code)}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.metadata = options?.metadata ?? new Metadata();
    this.rawDetails = options?.details ?? [];
  }

  /**
   * The error details: the standard `google.rpc` types (BadRequest, ErrorInfo,
   * RetryInfo, ...) decoded, any other type left as an `Any` (type URL and bytes).
   */
  get details(): Message[] {
    return decodeKnownDetails(this.rawDetails);
  }

  /** The first detail of the given type, decoded, or undefined. Works for any message type. */
  findDetail<Desc extends DescMessage>(schema: Desc): MessageShape<Desc> | undefined {
    return unpackDetails(this.rawDetails, schema)[0];
  }

  /** Every detail of the given type, decoded. */
  findDetails<Desc extends DescMessage>(schema: Desc): MessageShape<Desc>[] {
    return unpackDetails(this.rawDetails, schema);
  }

  /** Returns `error` if it is a GrpcError, else wraps it with `code` (UNKNOWN by default). */
  static from(error: unknown, code: Status = Status.UNKNOWN): GrpcError {
    if (error instanceof GrpcError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new GrpcError(code, message, { cause: error });
  }
}
