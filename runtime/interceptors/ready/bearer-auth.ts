import type { ServerCall } from "../../server/server-call.js";
import { GrpcError } from "../../status/grpc-error.js";
import { Status } from "../../status/status.js";
import type { ContextKey } from "../context-values.js";
import type { ServerInterceptor } from "../server-interceptor.js";

/** Options of `bearerAuth()`; `P` is what a valid token stands for (a user, a service account). */
export interface BearerAuthOptions<P> {
  /**
   * Checks a token and returns who it stands for, or undefined if it is not
   * valid. Throwing also rejects the call with UNAUTHENTICATED, except that a
   * thrown GrpcError is sent as is (say UNAVAILABLE while a key server is down).
   */
  verify(token: string, call: ServerCall): P | undefined | Promise<P | undefined>;
  /** Whether `principal` may make this call (`call.path`, `call.method`); false rejects it with PERMISSION_DENIED. Default: every valid token may. */
  authorize?(principal: P, call: ServerCall): boolean | Promise<boolean>;
  /** Where the principal goes in `call.context`, for the handler: `call.context.get(key)`. */
  key: ContextKey<P>;
  /** Paths let through without a token, such as health checks: `(path) => path.startsWith("/grpc.health.v1.")`. */
  skip?: (path: string) => boolean;
}

/** `Bearer <token>`: the scheme is case-insensitive (RFC 7235), the token is RFC 6750's b64token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * A server interceptor that requires `authorization: Bearer <token>` on every
 * call and rejects the call before its handler runs, for all four kinds:
 *
 * - no `authorization` header, or one that is not a bearer token: UNAUTHENTICATED;
 * - `verify` returns undefined or throws: UNAUTHENTICATED;
 * - `authorize` returns false: PERMISSION_DENIED.
 *
 * Otherwise the principal `verify` returned is put in `call.context` under
 * `key`, typed, and the handler runs.
 */
export function bearerAuth<P>(options: BearerAuthOptions<P>): ServerInterceptor {
  const { verify, authorize, key, skip } = options;
  return (next) =>
    async function* (call, requests) {
      if (skip?.(call.path) !== true) {
        const principal = await authenticate(call, verify);
        if (authorize !== undefined && !(await authorize(principal, call))) {
          throw new GrpcError(Status.PERMISSION_DENIED, `permission denied for ${call.path}`);
        }
        call.context.set(key, principal);
      }
      yield* next(call, requests);
    };
}

async function authenticate<P>(call: ServerCall, verify: BearerAuthOptions<P>["verify"]): Promise<P> {
  const values = call.metadata.getAll("authorization");
  if (values.length === 0) throw new GrpcError(Status.UNAUTHENTICATED, "missing bearer token: no authorization header");
  const match = values.length === 1 ? BEARER.exec(values[0]!) : null;
  if (match === null) throw new GrpcError(Status.UNAUTHENTICATED, "malformed authorization header: expected one `Bearer <token>`");
  let principal: P | undefined;
  try {
    principal = await verify(match[1]!, call);
  } catch (error) {
    if (error instanceof GrpcError) throw error;
    // The verifier's own message may say too much about why (expired, which key): the client only learns it was refused.
    throw new GrpcError(Status.UNAUTHENTICATED, "invalid bearer token", { cause: error });
  }
  if (principal === undefined) throw new GrpcError(Status.UNAUTHENTICATED, "invalid bearer token");
  return principal;
}
