/**
 * A single-consumer async queue of received messages, with flow control: when
 * `highWaterMark` messages wait unread it calls `pause()` (the caller stops
 * reading the HTTP/2 stream, so the peer's window closes), and once the
 * consumer has taken them it calls `resume()`. Nothing grows without bound.
 */
export class MessageQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #head = 0;
  #waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  #ended = false;
  #error: unknown = undefined;
  #paused = false;
  #returned = false;
  readonly #highWaterMark: number;
  readonly #flow: { pause(): void; resume(): void; onReturn?(): void };

  constructor(flow: { pause(): void; resume(): void; onReturn?(): void }, highWaterMark = 32) {
    this.#flow = flow;
    this.#highWaterMark = highWaterMark;
  }

  /** Whether the consumer stopped early (`break` out of `for await`). */
  get returned(): boolean {
    return this.#returned;
  }

  push(item: T): void {
    if (this.#ended || this.#returned) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting.resolve({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    if (!this.#paused && this.#items.length - this.#head >= this.#highWaterMark) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /** No more messages: the consumer sees the end after the ones queued. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settleWaiting();
  }

  /** Ends the queue with an error, thrown to the consumer after the queued messages. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#settleWaiting();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      }
      if (this.#paused && this.#items.length - this.#head < this.#highWaterMark / 2) {
        this.#paused = false;
        this.#flow.resume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#returned) return Promise.resolve({ value: undefined, done: true });
    if (this.#ended) {
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#error = undefined;
        this.#returned = true;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#paused) {
      this.#paused = false;
      this.#flow.resume();
    }
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /** The consumer stops: queued messages are dropped and reading resumes so the stream can drain. */
  return(): Promise<IteratorResult<T>> {
    if (!this.#returned) {
      this.#returned = true;
      this.#items = [];
      this.#head = 0;
      if (this.#paused) {
        this.#paused = false;
        this.#flow.resume();
      }
      this.#flow.onReturn?.();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settleWaiting(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    this.#waiting = undefined;
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      this.#returned = true;
      waiting.reject(error);
    } else {
      waiting.resolve({ value: undefined, done: true });
    }
  }
}
