/**
 * An async iterable fed by `push()`, for one consumer. `push()` resolves once
 * the consumer has taken the value, so a producer that awaits it never runs
 * ahead of the consumer: nothing piles up. Used to turn `call.send()` into
 * the request stream an interceptor chain reads.
 */
export class Pushable<T> implements AsyncIterable<T> {
  readonly #items: { value: T; taken: () => void; refused: (reason: unknown) => void }[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #waitingReject: ((error: unknown) => void) | undefined;
  #ended = false;
  #error: unknown = undefined;
  #failed = false;
  /** Settles the producers still waiting when the consumer goes away. */
  #stopped: unknown = undefined;
  #isStopped = false;

  /** Hands `value` to the consumer; resolves when it is taken, rejects if the consumer stopped. */
  push(value: T): Promise<void> {
    if (this.#isStopped) return Promise.reject(this.#stopped);
    if (this.#ended) return Promise.reject(new Error("push() after end()"));
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = this.#waitingReject = undefined;
      waiting({ value, done: false });
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.#items.push({ value, taken: resolve, refused: reject }));
  }

  /** No more values: the consumer sees the end after the ones pushed. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settleWaiting();
  }

  /** Ends with an error, thrown to the consumer after the values pushed. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failed = true;
    this.#error = error;
    this.#settleWaiting();
  }

  /** The consumer is gone: pending and later pushes reject with `reason`. */
  stop(reason: unknown): void {
    if (this.#isStopped) return;
    this.#isStopped = true;
    this.#stopped = reason;
    this.#ended = true;
    for (const item of this.#items.splice(0)) item.refused(reason);
    this.#settleWaiting();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.#next(),
      return: () => {
        this.stop(new Error("the request stream is no longer read"));
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift();
    if (item !== undefined) {
      item.taken();
      return Promise.resolve({ value: item.value, done: false });
    }
    if (this.#ended) {
      if (this.#failed && !this.#isStopped) {
        this.#failed = false;
        return Promise.reject(this.#error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#waitingReject = reject;
    });
  }

  #settleWaiting(): void {
    const waiting = this.#waiting;
    const reject = this.#waitingReject;
    if (waiting === undefined || reject === undefined) return;
    this.#waiting = this.#waitingReject = undefined;
    if (this.#failed && !this.#isStopped) {
      this.#failed = false;
      reject(this.#error);
    } else {
      waiting({ value: undefined, done: true });
    }
  }
}
