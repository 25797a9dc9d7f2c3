/**
 * Header names and the rules for gRPC's HTTP/2 headers (PROTOCOL-HTTP2).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { Metadata } from "../metadata/metadata.js";
import { HEADER_STATUS_DETAILS, decodeStatusDetails, encodeStatusDetails } from "../status/error-details.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status, parseStatusCode } from "../status/status.js";
import { codeFromHttpStatus } from "./http-status.js";
import { decodeStatusMessage, encodeStatusMessage } from "./status-message.js";

export const CONTENT_TYPE = "application/grpc";
export const HEADER_STATUS = "grpc-status";
export const HEADER_MESSAGE = "grpc-message";
export const HEADER_TIMEOUT = "grpc-timeout";
export const HEADER_ENCODING = "grpc-encoding";
export const HEADER_ACCEPT_ENCODING = "grpc-accept-encoding";

/** The `:path` of a method's calls (PROTOCOL-HTTP2): `/package.Service/Method`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * Whether a content-type names gRPC: `application/grpc`, optionally followed by
 * `+<codec>` or parameters after `;`.
 */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined || !value.startsWith(CONTENT_TYPE)) return false;
  if (value.length === CONTENT_TYPE.length) return true;
  const next = value.charCodeAt(CONTENT_TYPE.length);
  return next === 0x2b /* + */ || next === 0x3b /* ; */;
}

/**
 * The codec subtype of a gRPC content-type, in lower case: `"json"` for
 * `application/grpc+json`, `""` for plain `application/grpc` (protobuf), and
 * undefined for a content-type that is not gRPC. Parameters after `;` are
 * ignored.
 */
export function grpcContentSubtype(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (!isGrpcContentType(lower)) return undefined;
  const end = lower.indexOf(";");
  const type = (end === -1 ? lower : lower.slice(0, end)).trim();
  return type.length > CONTENT_TYPE.length ? type.slice(CONTENT_TYPE.length + 1) : "";
}

/** The content-type that names a codec: plain `application/grpc` for protobuf, as grpc-go and grpc-js send, else `application/grpc+<name>`. */
export function contentTypeFor(codecName: string): string {
  return codecName === "proto" ? CONTENT_TYPE : `${CONTENT_TYPE}+${codecName}`;
}

/** The trailers of a plain OK, shared by every such call: node:http2 copies headers it is given, never changes them. */
const OK_TRAILERS: OutgoingHttpHeaders = Object.freeze({ [HEADER_STATUS]: "0" });

/** The trailers (or trailers-only headers) that end a call with `code`, and the error's details if it has any. */
export function statusTrailers(code: number, message: string, metadata: Metadata | undefined, details?: readonly Any[]): OutgoingHttpHeaders {
  if (code === 0 && message === "" && (metadata === undefined || metadata.size === 0) && (details === undefined || details.length === 0)) {
    return OK_TRAILERS;
  }
  const trailers: OutgoingHttpHeaders = {};
  metadata?.writeHeaders(trailers);
  trailers[HEADER_STATUS] = String(code);
  if (message !== "") trailers[HEADER_MESSAGE] = encodeStatusMessage(message);
  if (details !== undefined && details.length > 0) trailers[HEADER_STATUS_DETAILS] = encodeStatusDetails(code, message, details);
  return trailers;
}

/**
 * Reads the final status from trailers (or trailers-only headers). Returns
 * undefined for OK, and a GrpcError carrying the trailing metadata otherwise.
 * A missing or malformed `grpc-status` is UNKNOWN, as in grpc-go.
 */
export function statusFromTrailers(trailers: IncomingHttpHeaders): GrpcError | undefined {
  const raw = trailers[HEADER_STATUS];
  if (raw === "0") return undefined;
  const code = parseStatusCode(typeof raw === "string" ? raw : undefined);
  if (code === Status.OK) return undefined;
  const metadata = Metadata.fromHeaders(trailers);
  const rawMessage = trailers[HEADER_MESSAGE];
  const message = typeof rawMessage === "string" ? decodeStatusMessage(rawMessage) : "";
  if (code === undefined) {
    const what = raw === undefined ? "missing grpc-status" : `invalid grpc-status "${String(raw)}"`;
    return new GrpcError(Status.UNKNOWN, message === "" ? `protocol error: ${what}` : message, { metadata });
  }
  const rawDetails = trailers[HEADER_STATUS_DETAILS];
  const details = typeof rawDetails === "string" ? decodeStatusDetails(rawDetails) : undefined;
  return new GrpcError(code as Status, message, { metadata, details });
}

/**
 * Checks the response headers of a call. Returns an error when the response is
 * not gRPC: an HTTP status other than 200 maps through the spec's HTTP-to-gRPC
 * table, and a 200 with another content-type is UNKNOWN.
 */
export function checkResponseHeaders(headers: IncomingHttpHeaders): GrpcError | undefined {
  const httpStatus = Number(headers[":status"] ?? 0);
  if (httpStatus !== 200) {
    return new GrpcError(codeFromHttpStatus(httpStatus), `received HTTP status ${httpStatus} from the server, not a gRPC response`, {
      metadata: Metadata.fromHeaders(headers),
    });
  }
  const contentType = headers["content-type"];
  if (!isGrpcContentType(contentType)) {
    return new GrpcError(Status.UNKNOWN, `received content-type "${contentType ?? ""}" from the server, not a gRPC response`, {
      metadata: Metadata.fromHeaders(headers),
    });
  }
  return undefined;
}
