/**
 * Received messages in order when some must be decompressed asynchronously.
 */
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";
import { decompress } from "./compression.js";

/** Where an InboundMessages delivers to: the call that owns it. */
export interface InboundSink {
  /** One message, decompressed; `compressed` says whether it came compressed. May throw a GrpcError. */
  deliver(bytes: Uint8Array, compressed: boolean): void;
  /** Decompression or delivery failed: the call ends with `error`. */
  fail(error: GrpcError): void;
  /** An asynchronous decompression started (true) or every message is delivered (false): stop or resume reading. */
  busy(busy: boolean): void;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly compressed: boolean;
}

/**
 * Decompresses the messages of one call and delivers them in the order they
 * came. A message that is decompressed synchronously is delivered at once; while
 * one is decompressed asynchronously the messages after it wait, and the call
 * stops reading its stream (`busy(true)`) so nothing piles up.
 *
 * A call makes one only when its first compressed message arrives: calls
 * without compression never pay for it.
 */
export class InboundMessages {
  readonly #encoding: string;
  readonly #maxSize: number;
  readonly #sink: InboundSink;
  #waiting: Pending[] = [];
  #busy = false;
  #failed = false;
  #onIdle: (() => void) | undefined;

  constructor(encoding: string, maxSize: number, sink: InboundSink) {
    this.#encoding = encoding;
    this.#maxSize = maxSize;
    this.#sink = sink;
  }

  /** Whether a message is being decompressed asynchronously (others may wait behind it). */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Takes one received message. Errors of a synchronous step are thrown, as
   * the decoder's own are; those of an asynchronous one go to `sink.fail`.
   */
  push(bytes: Uint8Array, compressed: boolean): void {
    if (this.#failed) return;
    if (this.#busy) {
      this.#waiting.push({ bytes, compressed });
      return;
    }
    this.#process(bytes, compressed);
  }

  /** Runs `callback` once every message pushed so far has been delivered (now, if none waits). */
  whenIdle(callback: () => void): void {
    if (!this.#busy) callback();
    else this.#onIdle = callback;
  }

  /** Drops whatever waits: the call is over. */
  stop(): void {
    this.#failed = true;
    this.#busy = false;
    this.#waiting = [];
    this.#onIdle = undefined;
  }

  /** Delivers one message, decompressing it first; returns false if that went asynchronous. */
  #process(bytes: Uint8Array, compressed: boolean): boolean {
    if (!compressed) {
      this.#sink.deliver(bytes, false);
      return true;
    }
    const out = decompress(this.#encoding, bytes, this.#maxSize);
    if (out instanceof Uint8Array) {
      this.#sink.deliver(out, true);
      return true;
    }
    if (!this.#busy) {
      this.#busy = true;
      this.#sink.busy(true);
    }
    out.then(
      (inflated) => this.#resume(inflated),
      (error: unknown) => this.#fail(error),
    );
    return false;
  }

  #resume(inflated: Uint8Array): void {
    if (this.#failed) return;
    try {
      this.#sink.deliver(inflated, true);
      while (this.#waiting.length > 0) {
        const next = this.#waiting.shift()!;
        // Still busy: the next asynchronous one resumes the rest.
        if (!this.#process(next.bytes, next.compressed)) return;
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#busy = false;
    this.#sink.busy(false);
    const onIdle = this.#onIdle;
    this.#onIdle = undefined;
    onIdle?.();
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.stop();
    this.#sink.fail(GrpcError.from(error, Status.INTERNAL));
  }
}
