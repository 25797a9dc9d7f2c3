/**
 * A protobuf wire-format writer that hands out its output as views of a
 * shared 8 KiB slab, the way Node's own buffer pool does: each message is
 * written straight into the slab (five bytes in, room for the gRPC length
 * prefix) and returned as a subarray, with no copy; the next message starts
 * after it.
 * `toBinary` makes a writer, a 128-byte buffer and a slice per message, and
 * framing copied again.
 *
 * Byte for byte the output matches @bufbuild/protobuf's `BinaryWriter`
 * (test/runtime/binary-writer.test.ts checks it against `toBinary`), including
 * the checks that throw for values outside a field's range.
 */
import { protoInt64 } from "@bufbuild/protobuf";

/**
 * A slab serves many small messages; a message that outgrows it moves to a
 * buffer of its own. The size of Node's own buffer pool: a frame kept alive
 * keeps at most this much memory alive with it, as a pooled Buffer would.
 */
const SLAB_SIZE = 8 * 1024;
/** A slab with less room than this left is retired before a message starts in it. */
const MIN_ROOM = 256;
const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;
const UINT32_MAX = 0xffffffff;

/** Protobuf wire types: how the value after a tag is delimited. */
export const WireType = {
  Varint: 0,
  Bit64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Bit32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export class ScratchWriter {
  buf: Buffer = Buffer.allocUnsafe(SLAB_SIZE);
  pos = 0;
  /** Where the message being written starts in `buf`. */
  #start = 0;
  /** Start positions of the length-delimited parts being written (the first `#depth` entries). */
  readonly #forks: number[] = [];
  #depth = 0;

  /** Starts a new message, `offset` bytes (the caller's, like a frame prefix) into its output. */
  reset(offset: number): void {
    // Messages start 8-byte aligned, as in Node's pool.
    let start = (this.pos + 7) & ~7;
    if (start + MIN_ROOM > this.buf.length) {
      this.buf = Buffer.allocUnsafe(SLAB_SIZE);
      start = 0;
    }
    this.#start = start;
    this.pos = start + offset;
    this.#depth = 0;
  }

  /**
   * The message just written, with the `offset` bytes before it: a view of
   * the slab, which the next message does not touch.
   */
  finish(): Buffer {
    const out = this.buf.subarray(this.#start, this.pos);
    // A buffer grown for one big message is not kept for small ones.
    if (this.buf.length > SLAB_SIZE) this.pos = this.buf.length;
    return out;
  }

  ensure(bytes: number): void {
    const need = this.pos + bytes;
    if (need <= this.buf.length) return;
    // The message so far moves to the start of a new slab, big enough for it.
    const start = this.#start;
    const written = this.pos - start;
    // Geometric growth (a quarter more than needed) keeps the copies of a growing message linear.
    const grown = Buffer.allocUnsafe(Math.max(SLAB_SIZE, Math.ceil((written + bytes) * 1.25)));
    this.buf.copy(grown, 0, start, this.pos);
    this.buf = grown;
    this.#start = 0;
    this.pos = written;
    for (let i = 0; i < this.#depth; i++) this.#forks[i]! -= start;
  }

  /** Reserves one byte for a length written by `join()`; most parts are under 128 bytes and need no move. */
  fork(): void {
    this.ensure(1);
    this.#forks[this.#depth++] = this.pos;
    this.pos += 1;
  }

  join(): void {
    const length = this.pos - this.#forks[this.#depth - 1]! - 1;
    if (length < 0x80) {
      this.buf[this.#forks[--this.#depth]!] = length;
      return;
    }
    const prefix = varint32Size(length);
    // Room for the longer length first: that may move the message, fork positions included.
    this.ensure(prefix - 1);
    const start = this.#forks[--this.#depth]!;
    this.buf.copyWithin(start + prefix, start + 1, this.pos);
    this.pos = start;
    this.uint32(length);
    this.pos += length;
  }

  tag(fieldNo: number, wireType: WireType): void {
    this.uint32(((fieldNo << 3) | wireType) >>> 0);
  }

  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.byteLength);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.byteLength);
    this.raw(value);
  }

  string(value: unknown): void {
    const text = typeof value === "string" ? value : String(value);
    const length = text.length;
    if (length < 0x80 / 3) {
      // Short: at most 127 UTF-8 bytes, so a one-byte length; ASCII without a native call.
      this.ensure(length * 3 + 1);
      const buf = this.buf;
      const start = this.pos;
      let pos = start + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code > 0x7f) break;
        buf[pos++] = code;
      }
      if (i < length) pos += buf.write(text.slice(i), pos, "utf8");
      buf[start] = pos - start - 1;
      this.pos = pos;
      return;
    }
    const size = Buffer.byteLength(text, "utf8");
    this.uint32(size);
    this.ensure(size);
    this.pos += this.buf.write(text, this.pos, size, "utf8");
  }

  bool(value: unknown): void {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  int32(value: unknown): void {
    const n = checkInt32(value);
    if (n >= 0) {
      this.uint32(n);
      return;
    }
    // Negative: sign-extended to 64 bits, ten bytes.
    this.ensure(10);
    const buf = this.buf;
    let v = n;
    for (let i = 0; i < 9; i++) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>= 7;
    }
    buf[this.pos++] = 1;
  }

  checkedUint32(value: unknown): void {
    this.uint32(checkUint32(value));
  }

  sint32(value: unknown): void {
    const n = checkInt32(value);
    this.uint32(((n << 1) ^ (n >> 31)) >>> 0);
  }

  fixed32(value: unknown): void {
    const n = checkUint32(value);
    this.ensure(4);
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4;
  }

  sfixed32(value: unknown): void {
    const n = checkInt32(value);
    this.ensure(4);
    this.buf.writeInt32LE(n, this.pos);
    this.pos += 4;
  }

  float(value: unknown): void {
    const n = checkFloat32(value);
    this.ensure(4);
    this.buf.writeFloatLE(n, this.pos);
    this.pos += 4;
  }

  double(value: unknown): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value as number, this.pos);
    this.pos += 8;
  }

  int64(value: unknown): void {
    const { lo, hi } = protoInt64.enc(value as bigint);
    this.varint64(lo, hi);
  }

  uint64(value: unknown): void {
    const { lo, hi } = protoInt64.uEnc(value as bigint);
    this.varint64(lo, hi);
  }

  sint64(value: unknown): void {
    const { lo, hi } = protoInt64.enc(value as bigint);
    const sign = hi >> 31;
    this.varint64((lo << 1) ^ sign, ((hi << 1) | (lo >>> 31)) ^ sign);
  }

  fixed64(value: unknown): void {
    const { lo, hi } = protoInt64.uEnc(value as bigint);
    this.#bits64(lo, hi);
  }

  sfixed64(value: unknown): void {
    const { lo, hi } = protoInt64.enc(value as bigint);
    this.#bits64(lo, hi);
  }

  #bits64(lo: number, hi: number): void {
    this.ensure(8);
    this.buf.writeInt32LE(lo | 0, this.pos);
    this.buf.writeInt32LE(hi | 0, this.pos + 4);
    this.pos += 8;
  }

  /** A 64-bit varint from its low and high 32-bit halves. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    let low = lo >>> 0;
    let high = hi >>> 0;
    while (high !== 0 || low > 0x7f) {
      buf[pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[pos++] = low;
    this.pos = pos;
  }
}

export function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function checkInt32(value: unknown): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number") throw new Error(`invalid int32: ${typeof value}`);
  if (!Number.isInteger(n) || n > INT32_MAX || n < INT32_MIN) throw new Error(`invalid int32: ${n}`);
  return n;
}

function checkUint32(value: unknown): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number") throw new Error(`invalid uint32: ${typeof value}`);
  if (!Number.isInteger(n) || n > UINT32_MAX || n < 0) throw new Error(`invalid uint32: ${n}`);
  return n;
}

function checkFloat32(value: unknown): number {
  let n: number;
  if (typeof value === "string") {
    n = Number(value);
    if (Number.isNaN(n) && value !== "NaN") throw new Error(`invalid float32: ${value}`);
  } else if (typeof value === "number") {
    n = value;
  } else {
    throw new Error(`invalid float32: ${typeof value}`);
  }
  // Too large for a float32 rounds to infinity; NaN and infinity themselves are fine.
  if (!Number.isFinite(Math.fround(n)) && Number.isFinite(n)) throw new Error(`invalid float32: ${n}`);
  return n;
}
