/**
 * Message compression (doc/compression.md): the `gzip` and `deflate`
 * algorithms on node:zlib, applied to one message at a time. This file knows
 * nothing about calls or HTTP/2.
 *
 * Small messages are (de)compressed synchronously and big ones on zlib's
 * thread pool. A thread-pool round trip (about 200 µs here) costs more than
 * compressing a few KiB outright, while doing a MiB synchronously stalls every
 * other call on the event loop for milliseconds. SYNC_LIMIT keeps a
 * synchronous step to about half a millisecond (gzip at 64 KiB; inflating is
 * four times faster): measurements in the README, "Compression".
 */
import * as zlib from "node:zlib";
import { frameMessage, PREFIX_LENGTH } from "../protocol/framing.js";
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";

/** A message encoding (`grpc-encoding`): `identity` sends messages as they are. */
export type Compression = "identity" | "gzip" | "deflate";

/** The encodings this runtime compresses with. */
export type CompressionAlgorithm = Exclude<Compression, "identity">;

/** What we accept, for `grpc-accept-encoding`. */
export const ACCEPT_ENCODING = "identity,gzip,deflate";

/** The default minimum size of a message worth compressing: smaller ones go out uncompressed (flag 0). */
export const DEFAULT_COMPRESS_MIN_BYTES = 1024;

/**
 * Messages up to this size (uncompressed) are compressed and decompressed
 * synchronously; bigger ones asynchronously.
 */
export const SYNC_LIMIT = 64 * 1024;

/**
 * zlib's output chunk on the thread pool. Each chunk is one round trip to the
 * pool: at zlib's default of 16 KiB, inflating 4 MiB takes 256 of them and
 * about four times as long as at 256 KiB.
 */
const ASYNC_CHUNK_SIZE = 256 * 1024;

/** Whether `name` is an encoding this runtime supports. */
export function isCompression(name: unknown): name is Compression {
  return name === "identity" || name === "gzip" || name === "deflate";
}

/** Checks a compression option, so a typo fails where it is made. */
export function checkCompression(name: unknown, what: string): Compression | undefined {
  if (name === undefined || isCompression(name)) return name;
  throw new TypeError(`${what}: unknown compression "${String(name)}" (expected one of ${ACCEPT_ENCODING})`);
}

/**
 * Whether an encoding is in a `grpc-accept-encoding` value (a comma-separated
 * list, any spacing).
 */
export function accepts(header: string | string[] | undefined, encoding: string): boolean {
  if (header === undefined) return false;
  for (const part of (Array.isArray(header) ? header.join(",") : header).split(",")) {
    if (part.trim() === encoding) return true;
  }
  return false;
}

/**
 * Compresses one message: the bytes now for a message up to SYNC_LIMIT, a
 * promise of them for a bigger one.
 */
export function compress(algorithm: CompressionAlgorithm, bytes: Uint8Array): Buffer | Promise<Buffer> {
  if (bytes.byteLength <= SYNC_LIMIT) {
    return algorithm === "gzip" ? zlib.gzipSync(bytes) : zlib.deflateSync(bytes);
  }
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, out: Buffer) => (error === null ? resolve(out) : reject(error));
    const options = { chunkSize: ASYNC_CHUNK_SIZE };
    if (algorithm === "gzip") zlib.gzip(bytes, options, done);
    else zlib.deflate(bytes, options, done);
  });
}

/**
 * Decompresses one message, never producing more than `maxSize` bytes: a
 * message that would inflate past it (a zip bomb) fails with
 * RESOURCE_EXHAUSTED as soon as it gets there, and bad data with INTERNAL.
 *
 * A message that inflates to at most SYNC_LIMIT is done synchronously; a
 * bigger one (found out by trying, at the cost of inflating SYNC_LIMIT bytes)
 * asynchronously, so the event loop is never held for long.
 */
export function decompress(encoding: string, bytes: Uint8Array, maxSize: number): Uint8Array | Promise<Uint8Array> {
  if (encoding !== "gzip" && encoding !== "deflate") {
    throw new GrpcError(
      Status.INTERNAL,
      encoding === "identity" || encoding === ""
        ? "protocol error: compressed message received without grpc-encoding"
        : `received a message compressed with unsupported grpc-encoding "${encoding}" (supported: ${ACCEPT_ENCODING})`,
    );
  }
  const syncMax = Math.min(maxSize, SYNC_LIMIT);
  // Inflating rarely makes data smaller: a message this big compressed will not fit in syncMax inflated.
  if (bytes.byteLength < syncMax) {
    try {
      const options = { maxOutputLength: Math.max(1, syncMax) };
      return encoding === "gzip" ? zlib.gunzipSync(bytes, options) : zlib.inflateSync(bytes, options);
    } catch (error) {
      if (!tooLarge(error) || syncMax === maxSize) throw decompressError(error, encoding, bytes, maxSize);
      // Bigger than SYNC_LIMIT but maybe within maxSize: inflate it again, off the event loop.
    }
  }
  return new Promise((resolve, reject) => {
    const options = { maxOutputLength: Math.max(1, maxSize), chunkSize: ASYNC_CHUNK_SIZE };
    const done = (error: Error | null, out: Buffer) => (error === null ? resolve(out) : reject(decompressError(error, encoding, bytes, maxSize)));
    if (encoding === "gzip") zlib.gunzip(bytes, options, done);
    else zlib.inflate(bytes, options, done);
  });
}

function tooLarge(error: unknown): boolean {
  return (error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE";
}

function decompressError(error: unknown, encoding: string, bytes: Uint8Array, maxSize: number): GrpcError {
  if (tooLarge(error)) {
    return new GrpcError(
      Status.RESOURCE_EXHAUSTED,
      `received message after decompression larger than max (more than ${maxSize} vs. ${maxSize}; ${bytes.byteLength} bytes compressed with ${encoding})`,
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new GrpcError(Status.INTERNAL, `failed to decompress a ${encoding} message: ${detail}`, { cause: error });
}

/**
 * The frame of one message on a call that may compress, given its
 * uncompressed frame: compressed with `algorithm` when one is given and the
 * message is at least `minBytes`, else that frame as it is. A promise when
 * the compression runs on the thread pool; it is awaited later (in write
 * order), so it is never left to reject unhandled.
 */
export function frameCompressed(algorithm: CompressionAlgorithm | undefined, uncompressed: Buffer, minBytes: number): Buffer | Promise<Buffer> {
  const bytes = uncompressed.subarray(PREFIX_LENGTH);
  if (algorithm === undefined || bytes.byteLength < minBytes) return uncompressed;
  const compressed = compress(algorithm, bytes);
  if (compressed instanceof Uint8Array) return frameMessage(compressed, true);
  const frame = compressed.then((out) => frameMessage(out, true));
  frame.catch(() => {});
  return frame;
}
