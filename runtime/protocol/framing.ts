/**
 * gRPC length-prefixed messages (PROTOCOL-HTTP2, "Length-Prefixed-Message"):
 * one byte of flags (bit 0: compressed), four bytes of big-endian length, then
 * the message bytes. This file knows nothing about calls, codecs or HTTP/2.
 */
import { GrpcError } from "../status/grpc-error.js";
import { Status } from "../status/status.js";

export const PREFIX_LENGTH = 5;

/** Frames one encoded message: a new buffer with the 5-byte prefix and the bytes. */
export function frameMessage(bytes: Uint8Array, compressed = false): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_LENGTH + bytes.byteLength);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(bytes.byteLength, 1);
  out.set(bytes, PREFIX_LENGTH);
  return out;
}

/**
 * The error for sending `frame` (an uncompressed frame) when its message is
 * larger than `max` bytes (maxSendMessageSize), or undefined when it fits.
 */
export function sendSizeError(frame: Uint8Array, max: number): GrpcError | undefined {
  const size = frame.byteLength - PREFIX_LENGTH;
  if (size <= max) return undefined;
  return new GrpcError(Status.RESOURCE_EXHAUSTED, `trying to send message larger than max (${size} vs. ${max})`);
}

/** Receives each complete message: its bytes and whether the compressed flag was set. */
export type MessageSink = (bytes: Uint8Array, compressed: boolean) => void;

/**
 * A streaming decoder: feed it DATA chunks as they arrive, in any split, and it
 * calls `onMessage` once per complete message.
 *
 * The length prefix is checked against `maxMessageSize` before any buffer is
 * allocated, so an oversized message costs nothing but its 5-byte prefix: the
 * decoder throws RESOURCE_EXHAUSTED and the caller ends the call. Whole messages
 * inside a chunk are passed as views, without copying.
 */
export class MessageDecoder {
  readonly #maxMessageSize: number;
  readonly #onMessage: MessageSink;
  /** Bytes of an incomplete prefix or message, waiting for more data (made when first needed). */
  #pending: Buffer[] | undefined;
  #pendingBytes = 0;
  /** Length of the message being assembled, or -1 while reading a prefix. */
  #length = -1;
  #compressed = false;

  constructor(maxMessageSize: number, onMessage: MessageSink) {
    this.#maxMessageSize = maxMessageSize;
    this.#onMessage = onMessage;
  }

  /** True when no partial message is buffered: the stream may end here. */
  get idle(): boolean {
    return this.#pendingBytes === 0 && this.#length === -1;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    if (this.#pendingBytes > 0 || this.#length !== -1) {
      // Finish what the previous chunks started.
      offset = this.#fill(chunk);
      if (offset < 0) return;
    }
    // Fast path: whole messages straight out of the chunk.
    while (chunk.length - offset >= PREFIX_LENGTH) {
      const compressed = this.#readFlags(chunk[offset]!);
      const length = chunk.readUInt32BE(offset + 1);
      this.#check(length);
      const start = offset + PREFIX_LENGTH;
      if (chunk.length - start < length) {
        this.#length = length;
        this.#compressed = compressed;
        this.#keep(chunk.subarray(start));
        return;
      }
      offset = start + length;
      this.#onMessage(chunk.subarray(start, offset), compressed);
    }
    if (offset < chunk.length) this.#keep(chunk.subarray(offset));
  }

  /** Completes a pending prefix or message; returns the offset reached in `chunk`, or -1 if it was all consumed. */
  #fill(chunk: Buffer): number {
    let offset = 0;
    if (this.#length === -1) {
      const need = PREFIX_LENGTH - this.#pendingBytes;
      if (chunk.length < need) {
        this.#keep(chunk);
        return -1;
      }
      this.#keep(chunk.subarray(0, need));
      offset = need;
      const prefix = this.#take();
      this.#compressed = this.#readFlags(prefix[0]!);
      const length = prefix.readUInt32BE(1);
      this.#check(length);
      this.#length = length;
    }
    const need = this.#length - this.#pendingBytes;
    if (chunk.length - offset < need) {
      this.#keep(chunk.subarray(offset));
      return -1;
    }
    this.#keep(chunk.subarray(offset, offset + need));
    offset += need;
    const message = this.#take();
    this.#length = -1;
    this.#onMessage(message, this.#compressed);
    return offset;
  }

  #keep(part: Buffer): void {
    if (part.length === 0) return;
    (this.#pending ??= []).push(part);
    this.#pendingBytes += part.length;
  }

  #take(): Buffer {
    const pending = this.#pending!;
    const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending, this.#pendingBytes);
    pending.length = 0;
    this.#pendingBytes = 0;
    return out;
  }

  #readFlags(flags: number): boolean {
    // Bits 1-7 are reserved and must be zero.
    if ((flags & ~1) !== 0) {
      throw new GrpcError(Status.INTERNAL, `protocol error: invalid message flags 0x${flags.toString(16)}`);
    }
    return flags === 1;
  }

  #check(length: number): void {
    if (length > this.#maxMessageSize) {
      throw new GrpcError(
        Status.RESOURCE_EXHAUSTED,
        `received message larger than max (${length} vs. ${this.#maxMessageSize})`,
      );
    }
  }
}
