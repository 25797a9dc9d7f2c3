import { GrpcError } from "../../status/grpc-error.js";
import { Status } from "../../status/status.js";
import type { ClientInterceptor } from "../client-interceptor.js";

/** A bearer token, or a function that gets one (called once per call, so a refreshed token is picked up). */
export type BearerTokenSource = string | (() => string | Promise<string>);

/**
 * A client interceptor that sends `authorization: Bearer <token>` on every
 * call (RFC 6750). `token` may be a function, sync or async, called for each
 * call. If it throws, the call fails before anything is sent: a GrpcError is
 * passed on as is, anything else becomes UNAUTHENTICATED (as grpc-go does for
 * per-RPC credentials that fail).
 *
 * ```ts
 * const channel = new Channel("127.0.0.1:50051", { interceptors: [bearerToken(() => tokens.current())] });
 * ```
 */
export function bearerToken(token: BearerTokenSource): ClientInterceptor {
  return (next) => async (request) => {
    let value: string;
    try {
      value = typeof token === "string" ? token : await token();
    } catch (error) {
      if (error instanceof GrpcError) throw error;
      throw new GrpcError(Status.UNAUTHENTICATED, `could not get the bearer token: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    request.metadata.set("authorization", `Bearer ${value}`);
    return next(request);
  };
}
