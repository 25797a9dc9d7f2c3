/**
 * Rich error details (the gRPC "richer error model"): a `google.rpc.Status`
 * with a list of `google.protobuf.Any` details, sent serialized in the
 * `grpc-status-details-bin` trailer next to `grpc-status` and `grpc-message`.
 */
import { create, createRegistry, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, Message, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import {
  BadRequestSchema,
  DebugInfoSchema,
  ErrorInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
  PreconditionFailureSchema,
  QuotaFailureSchema,
  RequestInfoSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
  file_google_rpc_error_details,
} from "./details/google/rpc/error_details_pb.js";
import { StatusSchema } from "./details/google/rpc/status_pb.js";

export const HEADER_STATUS_DETAILS = "grpc-status-details-bin";

/** The detail types every client decodes: the standard `google.rpc` ones. */
const standardTypes = createRegistry(file_google_rpc_error_details);

/** Packs a message of any type as an error detail. */
export function errorDetail<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>): Any {
  return anyPack(schema, isMessage(message, schema) ? message : create(schema, message));
}

/**
 * Builders for the standard `google.rpc` error details, each returning a
 * packed detail for `new GrpcError(code, message, { details: [...] })`.
 */
export const errorDetails = {
  badRequest: (init: MessageInitShape<typeof BadRequestSchema>) => errorDetail(BadRequestSchema, init),
  errorInfo: (init: MessageInitShape<typeof ErrorInfoSchema>) => errorDetail(ErrorInfoSchema, init),
  retryInfo: (init: MessageInitShape<typeof RetryInfoSchema>) => errorDetail(RetryInfoSchema, init),
  quotaFailure: (init: MessageInitShape<typeof QuotaFailureSchema>) => errorDetail(QuotaFailureSchema, init),
  preconditionFailure: (init: MessageInitShape<typeof PreconditionFailureSchema>) => errorDetail(PreconditionFailureSchema, init),
  resourceInfo: (init: MessageInitShape<typeof ResourceInfoSchema>) => errorDetail(ResourceInfoSchema, init),
  help: (init: MessageInitShape<typeof HelpSchema>) => errorDetail(HelpSchema, init),
  localizedMessage: (init: MessageInitShape<typeof LocalizedMessageSchema>) => errorDetail(LocalizedMessageSchema, init),
  debugInfo: (init: MessageInitShape<typeof DebugInfoSchema>) => errorDetail(DebugInfoSchema, init),
  requestInfo: (init: MessageInitShape<typeof RequestInfoSchema>) => errorDetail(RequestInfoSchema, init),
} as const;

/**
 * Decodes the details of the standard types; details of other types stay as
 * `Any` (type URL and bytes) for the caller to unpack with its own schema.
 */
export function decodeKnownDetails(details: readonly Any[]): Message[] {
  return details.map((any) => {
    try {
      return anyUnpack(any, standardTypes) ?? any;
    } catch {
      return any;
    }
  });
}

/** Unpacks the details of one type. */
export function unpackDetails<Desc extends DescMessage>(details: readonly Any[], schema: Desc): MessageShape<Desc>[] {
  const url = `type.googleapis.com/${schema.typeName}`;
  return details.filter((any) => any.typeUrl === url).map((any) => fromBinary(schema, any.value));
}

/** The `grpc-status-details-bin` value (unpadded base64) for a status with details. */
export function encodeStatusDetails(code: number, message: string, details: readonly Any[]): string {
  const bytes = toBinary(StatusSchema, create(StatusSchema, { code, message, details: [...details] }));
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

/** Reads a `grpc-status-details-bin` value; a malformed one yields no details rather than failing the call. */
export function decodeStatusDetails(value: string): Any[] {
  try {
    return fromBinary(StatusSchema, Buffer.from(value, "base64")).details;
  } catch {
    return [];
  }
}
