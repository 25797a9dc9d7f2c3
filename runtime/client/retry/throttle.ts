import type { RetryThrottling } from "../service-config.js";

/**
 * Retry throttling, gRPC A6: a token bucket per channel that starts full
 * (`maxTokens`). Each failed call (a retryable status, or pushback that says
 * stop) takes one token, each success gives back `tokenRatio`; while the
 * tokens are at or below half of `maxTokens`, failed calls are not retried.
 * As in grpc-go, only the calls of methods with a retry policy are counted.
 * @internal
 */
export class RetryThrottle {
  readonly #max: number;
  readonly #ratio: number;
  #tokens: number;

  constructor(config: RetryThrottling) {
    this.#max = config.maxTokens;
    this.#ratio = config.tokenRatio;
    this.#tokens = config.maxTokens;
  }

  /** The tokens left (for tests and diagnostics). */
  get tokens(): number {
    return this.#tokens;
  }

  /** Counts a failure; returns whether retries are now throttled. */
  failure(): boolean {
    this.#tokens = Math.max(0, this.#tokens - 1);
    return this.#tokens <= this.#max / 2;
  }

  /** Counts a success. */
  success(): void {
    this.#tokens = Math.min(this.#max, this.#tokens + this.#ratio);
  }
}
