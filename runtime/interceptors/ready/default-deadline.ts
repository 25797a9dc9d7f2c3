import type { ClientInterceptor } from "../client-interceptor.js";

/**
 * A client interceptor that gives every call without a deadline one: a
 * `timeout` of `ms` milliseconds. A call with its own `timeout` or
 * `deadline`, or one inherited from the server call it is made in
 * (propagation), keeps it.
 */
export function defaultDeadline(ms: number): ClientInterceptor {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`defaultDeadline: ms must be a non-negative number, got ${ms}`);
  return (next) => (request) => {
    if (request.options.timeout === undefined && request.options.deadline === undefined) request.options = { ...request.options, timeout: ms };
    return next(request);
  };
}
