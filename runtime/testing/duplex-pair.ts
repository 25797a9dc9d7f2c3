import { Duplex } from "node:stream";

/**
 * Two connected in-memory duplex streams: what one side writes, the other
 * reads. A write completes once the other side has room for it (so HTTP/2
 * flow control and backpressure behave as on a socket), ending one side ends
 * the other's readable side, and destroying one side destroys the other, as
 * a closed connection would. (`stream.duplexPair()` is only in Node >= 20.17,
 * and does not pass destruction on.)
 */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PairSide();
  const b = new PairSide();
  a.other = b;
  b.other = a;
  return [a, b];
}

class PairSide extends Duplex {
  other!: PairSide;
  /** The callback of a write the other side had no room for; called when it reads again. */
  #pendingWrite: ((error?: Error | null) => void) | undefined;

  override _read(): void {
    const callback = this.other.#pendingWrite;
    if (callback !== undefined) {
      this.other.#pendingWrite = undefined;
      callback();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.other.destroyed) {
      callback(new Error("the other side of the in-memory connection is closed"));
      return;
    }
    if (this.other.push(chunk)) callback();
    else this.#pendingWrite = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.other.destroyed) this.other.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const pending = this.#pendingWrite;
    this.#pendingWrite = undefined;
    pending?.(error ?? new Error("the in-memory connection was closed"));
    if (!this.other.destroyed) this.other.destroy();
    callback(error);
  }
}
