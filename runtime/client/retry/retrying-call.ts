import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Metadata } from "../../metadata/metadata.js";
import { GrpcError } from "../../status/grpc-error.js";
import { Status, statusName } from "../../status/status.js";
import type { CallOptions } from "../call-options.js";
import { CallTransport, cancelledBySignal, effectiveTimeout, type CallListener } from "../call-transport.js";
import type { Channel } from "../channel.js";
import type { CallHandle } from "../start-call.js";
import type { CompiledRetryPolicy } from "../service-config.js";
import { retryDelay } from "./retry-delay.js";
import { PUSHBACK_HEADER, readPushback } from "./pushback.js";

/** A request kept for replay on the next attempt. */
interface Buffered<I extends DescMessage> {
  readonly message: MessageInitShape<I>;
  readonly compress: boolean;
  readonly bytes: number;
}

/**
 * A call with a retry policy (gRPC A6): runs attempts, each a
 * `CallTransport`, until one is committed. An attempt that fails with a
 * retryable status before any response headers arrived is retried after a
 * backoff (or the server's `grpc-retry-pushback-ms`), up to `maxAttempts`,
 * while the channel's retry throttle allows it and the deadline (which spans
 * all attempts) has not passed. Each retry carries
 * `grpc-previous-rpc-attempts` and replays the requests sent so far.
 *
 * The call is committed, and never retried again, when response headers
 * arrive, when it ends, when it is cancelled, or when its requests no longer
 * fit the per-call or per-channel retry buffer (then they are dropped).
 * @internal
 */
export class RetryingCall<I extends DescMessage, O extends DescMessage> implements CallHandle<I> {
  readonly #channel: Channel;
  readonly #method: DescMethod;
  readonly #listener: CallListener<O>;
  readonly #policy: CompiledRetryPolicy;
  readonly #options: CallOptions;
  /** The attempts' options: an absolute deadline (it spans all attempts), no signal or onTrailer (handled here). */
  readonly #attemptOptions: CallOptions;
  readonly #deadline: number | undefined;
  #attempt: CallTransport<I, O> | undefined;
  #last: CallTransport<I, O> | undefined;
  #attempts = 0;
  #retriesSincePushback = 0;
  #buffer: Buffered<I>[] | undefined = [];
  #bufferBytes = 0;
  /** The buffer overflowed between attempts: the next one is the last. */
  #commitOnStart = false;
  #committed = false;
  #halfClosed = false;
  #paused = false;
  #done = false;
  #error: GrpcError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #startWaiters: (() => void)[] | undefined;
  readonly #onAbort: (() => void) | undefined;

  constructor(channel: Channel, method: DescMethod, options: CallOptions, listener: CallListener<O>, policy: CompiledRetryPolicy) {
    this.#channel = channel;
    this.#method = method;
    this.#listener = listener;
    this.#policy = policy;
    this.#options = options;
    const timeout = effectiveTimeout(options);
    this.#deadline = timeout === undefined ? undefined : Date.now() + timeout;
    this.#attemptOptions = { ...options, timeout: undefined, deadline: this.#deadline, signal: undefined, onTrailer: undefined };
    const signal = options.signal;
    if (signal !== undefined) {
      this.#onAbort = () => this.cancel(cancelledBySignal(signal));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    this.#startAttempt();
    if (signal?.aborted === true) this.#onAbort!();
  }

  send(message: MessageInitShape<I>, compress = true): boolean {
    return this.#send(message, compress, false);
  }

  sendLast(message: MessageInitShape<I>, compress = true): void {
    this.#send(message, compress, true);
  }

  end(): void {
    if (this.#halfClosed) return;
    this.#halfClosed = true;
    const attempt = this.#attempt;
    if (attempt !== undefined && !attempt.closed) attempt.end();
  }

  drained(): Promise<void> {
    if (this.#done) return Promise.resolve();
    const attempt = this.#attempt;
    if (attempt !== undefined) return attempt.drained();
    return new Promise((resolve) => (this.#startWaiters ??= []).push(resolve));
  }

  wasCompressed(message: object): boolean {
    return this.#last?.wasCompressed(message) ?? false;
  }

  get closed(): boolean {
    return this.#done;
  }

  pause(): void {
    this.#paused = true;
    this.#attempt?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#attempt?.resume();
  }

  cancel(reason: GrpcError): void {
    if (this.#done) return;
    this.#commit();
    const attempt = this.#attempt;
    if (attempt !== undefined && !attempt.closed) attempt.cancel(reason);
    else this.#finish(reason);
  }

  get peer(): string {
    return this.#last?.peer ?? "unknown";
  }

  get headers(): Metadata {
    return this.#last!.headers;
  }

  get trailers(): Metadata {
    return this.#last!.trailers;
  }

  /** The number of attempts made so far (tests and diagnostics). */
  get attempts(): number {
    return this.#attempts;
  }

  #send(message: MessageInitShape<I>, compress: boolean, last: boolean): boolean {
    if (this.#done) throw this.#error ?? new GrpcError(Status.CANCELLED, "call already ended");
    const attempt = this.#attempt;
    let ready = false;
    let bytes: number;
    if (attempt !== undefined && !attempt.closed) {
      try {
        if (last) attempt.sendLast(message, compress);
        else ready = attempt.send(message, compress);
      } catch (error) {
        // A request that cannot be encoded ends the call with that error, not a retry.
        this.#commit();
        throw error;
      }
      bytes = attempt.lastMessageBytes;
    } else {
      // Between attempts: measured now, sent by the next attempt.
      bytes = this.#channel.codec.forSchema(this.#method.input).encode(message as never).byteLength;
    }
    if (last) this.#halfClosed = true;
    this.#keep({ message, compress, bytes }, attempt === undefined);
    return ready;
  }

  /** Keeps a request for replay, within the per-call and per-channel retry buffer limits (A6: else commit). */
  #keep(entry: Buffered<I>, between: boolean): void {
    const buffer = this.#buffer;
    if (buffer === undefined) return;
    const fits = this.#bufferBytes + entry.bytes <= this.#channel.perCallRetryBufferBytes && this.#channel.reserveRetryBuffer(entry.bytes);
    if (fits) {
      buffer.push(entry);
      this.#bufferBytes += entry.bytes;
    } else if (between) {
      // It must still go out: kept, and the attempt that sends it is the last.
      buffer.push(entry);
      this.#commitOnStart = true;
    } else {
      this.#commit();
    }
  }

  #commit(): void {
    if (this.#committed) return;
    this.#committed = true;
    if (this.#buffer !== undefined) {
      this.#channel.releaseRetryBuffer(this.#bufferBytes);
      this.#buffer = undefined;
      this.#bufferBytes = 0;
    }
  }

  #startAttempt(): void {
    const previous = this.#attempts++;
    const attempt: CallTransport<I, O> = new CallTransport<I, O>(
      this.#channel,
      this.#method,
      this.#attemptOptions,
      {
        onHeaders: () => {
          if (attempt !== this.#attempt) return;
          // A6: once the server has answered with headers, the call is committed to this attempt.
          this.#commit();
          this.#listener.onHeaders();
        },
        onMessage: (message: MessageShape<O>) => {
          if (attempt === this.#attempt) this.#listener.onMessage(message);
        },
        onClose: (error) => {
          if (attempt === this.#attempt) this.#onAttemptClose(attempt, error);
        },
      },
      previous,
    );
    this.#attempt = attempt;
    this.#last = attempt;
    if (this.#paused) attempt.pause();
    for (const entry of this.#buffer ?? []) attempt.send(entry.message, entry.compress);
    if (this.#halfClosed) attempt.end();
    if (this.#commitOnStart) this.#commit();
    const waiters = this.#startWaiters;
    if (waiters !== undefined) {
      this.#startWaiters = undefined;
      for (const resolve of waiters) resolve();
    }
  }

  #onAttemptClose(attempt: CallTransport<I, O>, error: GrpcError | undefined): void {
    this.#attempt = undefined;
    const throttle = this.#channel.retryThrottle;
    if (error === undefined) {
      throttle?.success();
      this.#finish(undefined);
      return;
    }
    const delay = this.#committed ? undefined : this.#retryDelay(attempt, error);
    if (delay === undefined) {
      this.#finish(error);
      return;
    }
    const left = this.#deadline === undefined ? Infinity : this.#deadline - Date.now();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#done) return;
      if (delay >= left) {
        this.#finish(new GrpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded while waiting to retry; the last attempt failed with ${statusName(error.code)}: ${error.rawMessage}`));
      } else {
        this.#startAttempt();
      }
    }, Math.min(delay, Math.max(0, left)));
  }

  /**
   * How long to wait before retrying after `error`, or undefined to stop:
   * A6's order, as in grpc-go: a status not in retryableStatusCodes stops;
   * then the failure counts against the throttle; pushback that is malformed
   * or negative stops; maxAttempts stops; else pushback or the backoff.
   */
  #retryDelay(attempt: CallTransport<I, O>, error: GrpcError): number | undefined {
    if (!this.#policy.retryableCodes.has(error.code)) return undefined;
    const throttled = this.#channel.retryThrottle?.failure() ?? false;
    const pushback = readPushback(attempt.trailers.getAll(PUSHBACK_HEADER) as string[]);
    if (pushback === "stop" || throttled) return undefined;
    if (this.#attempts >= this.#policy.maxAttempts) return undefined;
    if (this.#deadline !== undefined && Date.now() >= this.#deadline) return undefined;
    if (pushback !== undefined) {
      this.#retriesSincePushback = 0;
      return pushback;
    }
    return retryDelay(this.#policy, this.#retriesSincePushback++);
  }

  #finish(error: GrpcError | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#commit();
    clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#options.signal?.removeEventListener("abort", this.#onAbort);
    const waiters = this.#startWaiters;
    this.#startWaiters = undefined;
    for (const resolve of waiters ?? []) resolve();
    if (this.#last === undefined) return;
    this.#options.onTrailer?.(this.#last.trailers);
    this.#listener.onClose(error);
  }
}
