/**
 * A channel's connectivity state, as the gRPC connectivity-semantics doc
 * (doc/connectivity-semantics-and-api.md) defines it:
 *
 * - `IDLE`: no connection, and none is being made; the next call (or
 *   `getState(true)`) starts connecting.
 * - `CONNECTING`: resolving the target's name or connecting to an address.
 * - `READY`: connected; calls go out at once.
 * - `TRANSIENT_FAILURE`: the last attempt failed; the channel tries again
 *   after a backoff. Calls fail fast with UNAVAILABLE unless they `waitForReady`.
 * - `SHUTDOWN`: `close()` was called. Final.
 */
export const ConnectivityState = {
  IDLE: "IDLE",
  CONNECTING: "CONNECTING",
  READY: "READY",
  TRANSIENT_FAILURE: "TRANSIENT_FAILURE",
  SHUTDOWN: "SHUTDOWN",
} as const;

/** One of the five connectivity states. */
export type ConnectivityState = (typeof ConnectivityState)[keyof typeof ConnectivityState];

/** Called with the new state (and the one before it) on every change. */
export type StateListener = (state: ConnectivityState, previous: ConnectivityState) => void;

/**
 * The listeners of a state, and a promise-based wait for its next change.
 * @internal
 */
export class StateWatchers {
  readonly #listeners = new Set<StateListener>();

  /** Adds a listener; returns the function that removes it. */
  add(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener (a throwing listener does not stop the others). */
  notify(state: ConnectivityState, previous: ConnectivityState): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(state, previous);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /**
   * Resolves with the first state other than `current` (at once if the state
   * already differs); rejects with the signal's reason if it aborts first.
   */
  waitForChange(get: () => ConnectivityState, current: ConnectivityState, signal?: AbortSignal): Promise<ConnectivityState> {
    const now = get();
    if (now !== current) return Promise.resolve(now);
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        remove();
        reject(signal!.reason);
      };
      const remove = this.add((state) => {
        if (state === current) return;
        remove();
        signal?.removeEventListener("abort", onAbort);
        resolve(state);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
