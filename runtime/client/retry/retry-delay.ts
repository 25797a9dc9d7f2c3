import type { CompiledRetryPolicy } from "../service-config.js";

/**
 * The wait before a retry, gRPC A6: the n-th retry (n from 0, counted since
 * the last server pushback) waits random(0, min(initialBackoff *
 * backoffMultiplier^n, maxBackoff)).
 * @internal
 */
export function retryDelay(policy: CompiledRetryPolicy, n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.initialBackoffMs * policy.backoffMultiplier ** n, policy.maxBackoffMs);
  return random() * ceiling;
}
