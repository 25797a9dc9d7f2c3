import type * as http2 from "node:http2";
import { ConnectionBackoff, type BackoffOptions } from "./backoff.js";
import { ConnectivityState } from "./connectivity.js";
import { openSession, type SessionOptions } from "./open-session.js";
import { formatAddress, type Address } from "./target.js";
import { closeSession } from "../util/close-session.js";

/** What a subchannel is made with. @internal */
export interface SubchannelOptions {
  readonly session: SessionOptions;
  readonly backoff: Required<BackoffOptions>;
  /** Called on every state change. */
  readonly onStateChange: (subchannel: Subchannel) => void;
  /** Called with each session when it has ended, with the error that ended it if any. */
  readonly onSessionError: (session: http2.ClientHttp2Session, error: Error) => void;
}

/**
 * One address and at most one HTTP/2 connection to it, with the connectivity
 * states of the gRPC connectivity-semantics doc:
 *
 * - `connect()` from IDLE starts an attempt (CONNECTING), bounded by the
 *   backoff's connect timeout (at least MIN_CONNECT_TIMEOUT, so an attempt is
 *   never stuck in CONNECTING: grpc-js #2785);
 * - a failed attempt is TRANSIENT_FAILURE, with the error kept as
 *   `lastError`, and the next attempt starts by itself when the backoff has
 *   passed (doc/connection-backoff.md);
 * - a connection that ends (GOAWAY, reset, closed) makes it IDLE again, as in
 *   grpc-go: the balancer decides whether to reconnect.
 *
 * Timers are unref'd: a subchannel never keeps the process alive.
 * @internal
 */
export class Subchannel {
  readonly address: Address;
  /** `127.0.0.1:50051` or `unix:/path`. */
  readonly label: string;
  #state: ConnectivityState = ConnectivityState.IDLE;
  #session: http2.ClientHttp2Session | undefined;
  #lastError: Error | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #backoff: ConnectionBackoff;
  readonly #options: SubchannelOptions;

  constructor(address: Address, options: SubchannelOptions) {
    this.address = address;
    this.label = formatAddress(address);
    this.#options = options;
    this.#backoff = new ConnectionBackoff(options.backoff);
  }

  get state(): ConnectivityState {
    return this.#state;
  }

  /** Why the last attempt failed, or the connection ended. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** The connection, when READY and still usable (a closing one makes the subchannel IDLE). */
  get session(): http2.ClientHttp2Session | undefined {
    const session = this.#session;
    if (this.#state !== ConnectivityState.READY || session === undefined) return undefined;
    if (session.closed || session.destroyed) {
      this.#lost(session);
      return undefined;
    }
    return session;
  }

  /** Starts connecting if IDLE; does nothing in the other states (TRANSIENT_FAILURE reconnects after its backoff). */
  connect(): void {
    if (this.#state !== ConnectivityState.IDLE) return;
    this.#attempt();
  }

  /**
   * Stops for good (SHUTDOWN): no more attempts. Its connection closes
   * gracefully once the calls in flight on it have ended; resolves then.
   */
  shutdown(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const session = this.#session;
    this.#session = undefined;
    this.#setState(ConnectivityState.SHUTDOWN);
    if (session === undefined || session.destroyed) return Promise.resolve();
    if (session.connecting) {
      session.destroy();
      return Promise.resolve();
    }
    // closeSession refs the session: an unref'd one would let the process exit before the GOAWAY is answered.
    return closeSession(session);
  }

  #attempt(): void {
    const timeout = this.#backoff.start();
    this.#setState(ConnectivityState.CONNECTING);
    let session: http2.ClientHttp2Session;
    try {
      session = openSession(this.address, this.#options.session);
    } catch (error) {
      this.#failed(error as Error);
      return;
    }
    this.#session = session;
    // An idle connection does not keep the process alive; calls in flight ref it (Channel.track).
    session.unref();
    let error: Error | undefined;
    session.on("error", (e: Error) => {
      error ??= e;
      this.#options.onSessionError(session, e);
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#session !== session) return;
      error ??= new Error(`connection to ${this.label} timed out after ${timeout} ms`);
      session.destroy();
    }, timeout).unref();
    // READY once the server's SETTINGS have come: the HTTP/2 handshake is done (as grpc-js), not just the socket.
    session.once("remoteSettings", () => {
      if (this.#session !== session) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#backoff.reset();
      this.#lastError = undefined;
      this.#setState(ConnectivityState.READY);
    });
    session.once("goaway", () => this.#lost(session));
    session.once("close", () => {
      if (this.#session !== session) return;
      if (this.#state === ConnectivityState.CONNECTING) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#failed(error ?? new Error(`connection to ${this.label} closed before it was ready`));
      } else {
        if (error !== undefined) this.#lastError = this.#named(error);
        this.#lost(session);
      }
    });
  }

  /** A ready connection ended or is ending: IDLE, new calls need a new connection. */
  #lost(session: http2.ClientHttp2Session): void {
    if (this.#session !== session || this.#state !== ConnectivityState.READY) return;
    this.#session = undefined;
    this.#setState(ConnectivityState.IDLE);
  }

  #failed(error: Error): void {
    this.#session = undefined;
    this.#lastError = this.#named(error);
    this.#setState(ConnectivityState.TRANSIENT_FAILURE);
    if (this.#state !== ConnectivityState.TRANSIENT_FAILURE) return; // shut down by a listener
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === ConnectivityState.TRANSIENT_FAILURE) this.#attempt();
    }, this.#backoff.delay()).unref();
  }

  /** The error, saying which address it is about if it does not already (`Protocol error` alone says little). */
  #named(error: Error): Error {
    const where = "path" in this.address ? this.address.path : this.label;
    if (error.message.includes(where)) return error;
    return new Error(`connection to ${this.label} failed: ${error.message}`, { cause: error });
  }

  #setState(state: ConnectivityState): void {
    if (this.#state === state || this.#state === ConnectivityState.SHUTDOWN) return;
    this.#state = state;
    this.#options.onStateChange(this);
  }
}
