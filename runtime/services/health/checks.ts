/**
 * Health checks, as in grpclib: a `ServiceCheck` runs a probe when asked (its
 * result is cached for a TTL), a `ServiceStatus` holds a value that code sets.
 * Both say true (healthy), false (unhealthy) or undefined (unknown).
 */

/** What the health service needs from a check. Implement it for checks of your own. */
export interface HealthCheck {
  /** The last known value, without running anything. */
  readonly value: boolean | undefined;
  /** The current value; a ServiceCheck runs its probe if its last result is older than its TTL. */
  check(): Promise<boolean | undefined>;
  /**
   * Calls `listener` after each change of the value, until the returned
   * function is called. While anyone listens, a ServiceCheck re-runs its
   * probe every TTL, so watchers see changes without asking.
   */
  subscribe(listener: () => void): () => void;
}

/** A probe: resolves true (healthy), false (unhealthy) or undefined (unknown). `signal` aborts at the timeout. */
export type HealthProbe = (signal: AbortSignal) => Promise<boolean | undefined> | boolean | undefined;

/** Options of a `ServiceCheck`. */
export interface ServiceCheckOptions {
  /** How long a result is reused, in ms. Default 30 s (grpclib's `check_ttl`). */
  ttlMs?: number;
  /** How long the probe may run, in ms; one that takes longer counts as unhealthy. Default 10 s. */
  timeoutMs?: number;
  /** The check's name in logs. Default: the probe function's name. */
  name?: string;
  /** Gets a probe's exception or timeout (the check is then unhealthy). Default: `console.error`. */
  onError?: (error: unknown, check: ServiceCheck) => void;
}

/** Calls every listener, each isolated from the others' exceptions. */
class Listeners {
  readonly #set = new Set<() => void>();

  get size(): number {
    return this.#set.size;
  }

  add(listener: () => void): () => void {
    // A wrapper per subscription, so the same function can subscribe twice.
    const entry = () => listener();
    this.#set.add(entry);
    return () => this.#set.delete(entry);
  }

  notify(): void {
    for (const listener of this.#set) {
      try {
        listener();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/**
 * A check that runs an async probe, at most once per TTL. An exception or a
 * timeout counts as unhealthy and is reported to `onError`.
 *
 * ```ts
 * const db = new ServiceCheck(async () => { await pool.query("SELECT 1"); return true; }, { ttlMs: 10_000 });
 * ```
 */
export class ServiceCheck implements HealthCheck {
  readonly name: string;
  readonly #probe: HealthProbe;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #onError: (error: unknown, check: ServiceCheck) => void;
  readonly #listeners = new Listeners();
  #value: boolean | undefined = undefined;
  /** When the last probe finished (performance.now()), or undefined if none has. */
  #checkedAt: number | undefined;
  #running: Promise<boolean | undefined> | undefined;
  /** The polling loop's timer while anyone is subscribed; a new object per loop, so a stopped loop knows. */
  #poll: { current: NodeJS.Timeout | undefined } | undefined;

  constructor(probe: HealthProbe, options: ServiceCheckOptions = {}) {
    this.#probe = probe;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.name = options.name ?? (probe.name || "anonymous");
    this.#onError = options.onError ?? ((error, check) => console.error(`tsgrpc: health check ${check.name} failed:`, error));
  }

  get value(): boolean | undefined {
    return this.#value;
  }

  check(): Promise<boolean | undefined> {
    if (this.#checkedAt !== undefined && performance.now() - this.#checkedAt < this.#ttlMs) return Promise.resolve(this.#value);
    // Callers arriving while a probe runs share its result.
    return (this.#running ??= this.#run().finally(() => (this.#running = undefined)));
  }

  subscribe(listener: () => void): () => void {
    const unsubscribe = this.#listeners.add(listener);
    if (this.#poll === undefined) this.#startPolling();
    return () => {
      unsubscribe();
      if (this.#listeners.size === 0) this.#stopPolling();
    };
  }

  async #run(): Promise<boolean | undefined> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`health check ${this.name} timed out after ${this.#timeoutMs}ms`);
        controller.abort(error);
        reject(error);
      }, this.#timeoutMs);
    });
    let value: boolean | undefined;
    try {
      value = await Promise.race([Promise.resolve().then(() => this.#probe(controller.signal)), timeout]);
      if (value !== undefined && typeof value !== "boolean") {
        throw new TypeError(`health check ${this.name} returned ${String(value)}, not true, false or undefined`);
      }
    } catch (error) {
      this.#onError(error, this);
      value = false;
    } finally {
      clearTimeout(timer);
    }
    this.#checkedAt = performance.now();
    this.#set(value);
    return value;
  }

  #set(value: boolean | undefined): void {
    if (value === this.#value) return;
    this.#value = value;
    this.#listeners.notify();
  }

  /** Runs the probe now and again every TTL while anyone is subscribed. */
  #startPolling(): void {
    const timer: { current: NodeJS.Timeout | undefined } = { current: undefined };
    const tick = () => {
      void this.check().finally(() => {
        if (this.#poll !== timer) return; // stopped meanwhile
        const wait = Math.max(0, this.#ttlMs - (performance.now() - (this.#checkedAt ?? 0)));
        // Polling alone does not keep a process alive.
        timer.current = setTimeout(tick, wait).unref();
      });
    };
    this.#poll = timer;
    timer.current = setTimeout(tick, 0).unref();
  }

  #stopPolling(): void {
    clearTimeout(this.#poll?.current);
    this.#poll = undefined;
  }
}

/**
 * A check whose value code sets as it learns it, like a lost database
 * connection; cheaper and quicker than polling.
 *
 * ```ts
 * const redis = new ServiceStatus();
 * client.on("ready", () => redis.set(true));
 * client.on("end", () => redis.set(false));
 * ```
 */
export class ServiceStatus implements HealthCheck {
  readonly #listeners = new Listeners();
  #value: boolean | undefined;

  /** Starts unknown (undefined) unless given a value. */
  constructor(value?: boolean) {
    this.#value = value;
  }

  get value(): boolean | undefined {
    return this.#value;
  }

  /** Sets the value: true (healthy), false (unhealthy) or undefined (unknown). Watchers see changes at once. */
  set(value: boolean | undefined): void {
    if (value === this.#value) return;
    this.#value = value;
    this.#listeners.notify();
  }

  check(): Promise<boolean | undefined> {
    return Promise.resolve(this.#value);
  }

  subscribe(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }
}
