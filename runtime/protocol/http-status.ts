import { Status } from "../status/status.js";

/**
 * The gRPC code for an HTTP response that carried no `grpc-status`
 * (doc/http-grpc-status-mapping.md). Clients only; servers never use this.
 */
export function codeFromHttpStatus(httpStatus: number): Status {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/**
 * The gRPC code for a stream reset by the peer with an HTTP/2 error code
 * (PROTOCOL-HTTP2, "Errors").
 */
export function codeFromRstCode(rstCode: number): Status {
  switch (rstCode) {
    case 0x7: // REFUSED_STREAM: the server did no work, the call may be retried.
      return Status.UNAVAILABLE;
    case 0x8: // CANCEL
      return Status.CANCELLED;
    case 0xb: // ENHANCE_YOUR_CALM
      return Status.RESOURCE_EXHAUSTED;
    case 0xc: // INADEQUATE_SECURITY
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}
