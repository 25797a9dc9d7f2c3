/** A6: the trailer a server sends to steer the client's next retry. */
export const PUSHBACK_HEADER = "grpc-retry-pushback-ms";

/**
 * Reads `grpc-retry-pushback-ms` (gRPC A6 "Pushback"): undefined when absent
 * (the client's own backoff applies), the delay in ms for one non-negative
 * integer, and "stop" for anything else (negative, malformed, several
 * values): the server says not to retry.
 * @internal
 */
export function readPushback(values: readonly string[]): number | "stop" | undefined {
  if (values.length === 0) return undefined;
  if (values.length > 1) return "stop";
  const value = values[0]!.trim();
  if (!/^\d{1,10}$/.test(value)) return "stop";
  const ms = Number(value);
  return ms > 2 ** 31 - 1 ? "stop" : ms;
}
