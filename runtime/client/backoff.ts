/**
 * Connection backoff settings, per the gRPC connection-backoff spec
 * (doc/connection-backoff.md). All in milliseconds except the multiplier and
 * jitter.
 */
export interface BackoffOptions {
  /** Wait after the first failed attempt (default 1000). */
  initialBackoffMs?: number;
  /** Factor applied to the wait after each failed attempt (default 1.6). */
  multiplier?: number;
  /** Each wait is randomized by ± this fraction (default 0.2). */
  jitter?: number;
  /** Upper bound of the wait (default 120000). */
  maxBackoffMs?: number;
  /** Least time one connection attempt is given before it counts as failed (default 20000). */
  minConnectTimeoutMs?: number;
}

/** The spec's parameters: INITIAL_BACKOFF 1 s, MULTIPLIER 1.6, JITTER 0.2, MAX_BACKOFF 120 s, MIN_CONNECT_TIMEOUT 20 s. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialBackoffMs: 1000,
  multiplier: 1.6,
  jitter: 0.2,
  maxBackoffMs: 120_000,
  minConnectTimeoutMs: 20_000,
};

/** The options with defaults filled in, checked. @internal */
export function backoffSettings(options: BackoffOptions | undefined): Required<BackoffOptions> {
  const settings = { ...DEFAULT_BACKOFF, ...options };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`ChannelOptions.backoff.${name} must be a finite number >= 0, got ${String(value)}`);
    }
  }
  if (settings.multiplier < 1) throw new RangeError(`ChannelOptions.backoff.multiplier must be >= 1, got ${settings.multiplier}`);
  if (settings.jitter > 1) throw new RangeError(`ChannelOptions.backoff.jitter must be <= 1, got ${settings.jitter}`);
  return settings;
}

/**
 * The schedule of connection attempts from the spec's `ConnectWithBackoff()`:
 *
 * ```
 * current_backoff = INITIAL_BACKOFF
 * current_deadline = now() + INITIAL_BACKOFF
 * while (TryConnect(Max(current_deadline, now() + MIN_CONNECT_TIMEOUT)) != SUCCESS)
 *   SleepUntil(current_deadline)
 *   current_backoff = Min(current_backoff * MULTIPLIER, MAX_BACKOFF)
 *   current_deadline = now() + current_backoff + UniformRandom(-JITTER * current_backoff, JITTER * current_backoff)
 * ```
 *
 * `start()` is called when an attempt begins and gives its connect timeout;
 * `delay()` after it failed gives how long to sleep; `reset()` after a
 * successful connection starts the schedule over.
 * @internal
 */
export class ConnectionBackoff {
  readonly #settings: Required<BackoffOptions>;
  #backoff: number;
  #deadline = 0;
  #attempts = 0;

  constructor(settings: Required<BackoffOptions>) {
    this.#settings = settings;
    this.#backoff = settings.initialBackoffMs;
  }

  /** Marks the start of an attempt; returns its connect timeout in ms. */
  start(now = Date.now()): number {
    const s = this.#settings;
    if (this.#attempts++ === 0) {
      this.#deadline = now + s.initialBackoffMs;
    } else {
      this.#backoff = Math.min(this.#backoff * s.multiplier, s.maxBackoffMs);
      const spread = s.jitter * this.#backoff;
      this.#deadline = now + this.#backoff + (Math.random() * 2 - 1) * spread;
    }
    return Math.max(this.#deadline, now + s.minConnectTimeoutMs) - now;
  }

  /** How long to wait, after a failed attempt, before the next one (SleepUntil(current_deadline)). */
  delay(now = Date.now()): number {
    return Math.max(0, this.#deadline - now);
  }

  /** Starts the schedule over (after a connection succeeded). */
  reset(): void {
    this.#backoff = this.#settings.initialBackoffMs;
    this.#attempts = 0;
  }
}
