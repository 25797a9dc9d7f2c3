import { ConnectionBackoff, type BackoffOptions } from "./backoff.js";
import { resolveTarget, type Address, type ParsedTarget } from "./target.js";

/** grpc-go's DNS resolver re-resolves at most this often. */
const MIN_RESOLUTION_INTERVAL_MS = 30_000;

/** What a resolver reports to its channel. @internal */
export interface ResolverListener {
  onAddresses(addresses: readonly Address[]): void;
  /** The lookup failed (and will be tried again after a backoff while it has never succeeded). */
  onError(error: Error): void;
}

/**
 * Turns a channel's target into addresses (gRPC naming.md): a DNS lookup for
 * a name, the list itself for a fixed one. A failed first lookup is retried
 * with the connection backoff; after that, the balancer asks for a new
 * resolution when connections fail, at most once per 30 s as grpc-go's DNS
 * resolver does. One resolver lives as long as one channel generation (a
 * channel coming back from IDLE gets a new one).
 * @internal
 */
export class Resolver {
  readonly #target: ParsedTarget;
  readonly #listener: ResolverListener;
  readonly #backoff: ConnectionBackoff;
  #running = false;
  #succeeded = false;
  #closed = false;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(target: ParsedTarget, backoff: Required<BackoffOptions>, listener: ResolverListener) {
    this.#target = target;
    this.#listener = listener;
    this.#backoff = new ConnectionBackoff(backoff);
  }

  /** Resolves now, unless a resolution is under way. */
  resolve(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    this.#last = Date.now();
    clearTimeout(this.#timer);
    this.#backoff.start();
    resolveTarget(this.#target).then(
      (addresses) => {
        this.#running = false;
        if (this.#closed) return;
        this.#succeeded = true;
        this.#backoff.reset();
        this.#listener.onAddresses(addresses);
      },
      (error: Error) => {
        this.#running = false;
        if (this.#closed) return;
        this.#listener.onError(error);
        if (!this.#succeeded) this.#timer = setTimeout(() => this.resolve(), this.#backoff.delay()).unref();
      },
    );
  }

  /** A connection failed: resolve again if the target is a name and the last resolution is old enough. */
  requestResolution(): void {
    if (this.#target.kind === "static") return;
    if (Date.now() - this.#last >= MIN_RESOLUTION_INTERVAL_MS) this.resolve();
  }

  /** Stops: no more lookups, and a lookup under way is ignored. */
  shutdown(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
