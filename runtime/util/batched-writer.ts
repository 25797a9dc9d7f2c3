import type { Http2Stream } from "node:http2";

/**
 * Writes framed messages to an HTTP/2 stream, coalescing the writes made in
 * one turn of the event loop into a single writev: the stream is corked on the
 * first write and uncorked once the current tick's work (including the promise
 * jobs of an async generator producing messages) is done. A full buffer
 * flushes at once and reports backpressure, so batches stay within the
 * stream's high-water mark and nothing queues without bound.
 */
export class BatchedWriter {
  readonly #stream: Http2Stream;
  #corked = false;
  readonly #uncork = (): void => {
    if (!this.#corked) return;
    this.#corked = false;
    this.#stream.uncork();
  };

  constructor(stream: Http2Stream) {
    this.#stream = stream;
  }

  /** Queues `chunk`. Returns false when the stream's buffer is full: wait for `drained()` before writing more. */
  write(chunk: Buffer): boolean {
    if (!this.#corked) {
      this.#corked = true;
      this.#stream.cork();
      process.nextTick(this.#uncork);
    }
    if (this.#stream.write(chunk)) return true;
    this.#uncork();
    return false;
  }

  /** Resolves once the stream can take more data, or has closed (the caller then sees why). */
  drained(): Promise<void> {
    const stream = this.#stream;
    if (stream.destroyed || !stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
    });
  }
}
