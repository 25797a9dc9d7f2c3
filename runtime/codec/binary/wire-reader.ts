/**
 * Reads the protobuf wire format from one buffer, for the proto codec's
 * compiled readers. One reader serves every message (it is reset per
 * message): `fromBinary` makes a reader, a DataView and a read context per
 * message and an array per tag, which was most of a streaming client's CPU.
 *
 * Each read behaves as @bufbuild/protobuf's `BinaryReader` does, down to
 * where it checks bounds (test/runtime/binary-reader.test.ts compares the
 * two on valid and on malformed input).
 */
import { protoInt64 } from "@bufbuild/protobuf";
import { getTextEncoding } from "@bufbuild/protobuf/wire";

const EMPTY = new Uint8Array(0);
/** Scratch for floats and doubles: their bytes are copied in and read back, no DataView per message. */
const scratch8 = new Uint8Array(8);
const scratchF32 = new Float32Array(scratch8.buffer, 0, 1);
const scratchF64 = new Float64Array(scratch8.buffer, 0, 1);
const ASCII_MAX_LENGTH = 32;
const decodeUtf8 = (bytes: Uint8Array, strict: boolean): string => getTextEncoding().decodeUtf8(bytes, strict);

export class WireReader {
  buf: Uint8Array = EMPTY;
  pos = 0;
  len = 0;
  /** The wire type of the last tag read. */
  wireType = 0;
  #lo = 0;
  #hi = 0;

  reset(buf: Uint8Array): void {
    this.buf = buf;
    this.pos = 0;
    this.len = buf.length;
  }

  /** Lets go of the last buffer, so a reader kept between messages does not hold one. */
  release(): void {
    this.buf = EMPTY;
    this.len = 0;
  }

  assertBounds(): void {
    if (this.pos > this.len) throw new RangeError("premature EOF");
  }

  /** The field number of the next tag; its wire type goes to `wireType`. */
  tag(): number {
    const start = this.pos;
    const tag = this.uint32();
    const bytesRead = this.pos - start;
    if (bytesRead > 5 || (bytesRead === 5 && this.buf[this.pos - 1]! > 0x0f)) {
      throw new Error("illegal tag: varint overflows uint32");
    }
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    if (fieldNo <= 0 || wireType > 5) throw new Error(`illegal tag: field no ${fieldNo} wire type ${wireType}`);
    this.wireType = wireType;
    return fieldNo;
  }

  /** Skips one value of `wireType` (a whole group for StartGroup) and returns its bytes. */
  skip(wireType: number, fieldNo: number | undefined, recursionLimit: number): Uint8Array {
    const start = this.pos;
    switch (wireType) {
      case 0:
        while (this.buf[this.pos++]! & 0x80) {
          // to the varint's last byte
        }
        break;
      case 1:
        this.pos += 8;
        break;
      case 5:
        this.pos += 4;
        break;
      case 2: {
        const length = this.uint32();
        this.pos += length;
        break;
      }
      case 3:
        if (recursionLimit <= 0) throw new Error("maximum recursion depth reached");
        for (;;) {
          const fn = this.tag();
          const wt = this.wireType;
          if (wt === 4) {
            if (fieldNo !== undefined && fn !== fieldNo) throw new Error("invalid end group tag");
            break;
          }
          this.skip(wt, fn, recursionLimit - 1);
        }
        break;
      default:
        throw new Error(`cant skip wire type ${wireType}`);
    }
    this.assertBounds();
    return this.buf.subarray(start, this.pos);
  }

  uint32(): number {
    const buf = this.buf;
    let b = buf[this.pos++]!;
    if ((b & 0x80) === 0) {
      this.assertBounds();
      return b;
    }
    let result = b & 0x7f;
    b = buf[this.pos++]!;
    result |= (b & 0x7f) << 7;
    if ((b & 0x80) === 0) {
      this.assertBounds();
      return result;
    }
    b = buf[this.pos++]!;
    result |= (b & 0x7f) << 14;
    if ((b & 0x80) === 0) {
      this.assertBounds();
      return result;
    }
    b = buf[this.pos++]!;
    result |= (b & 0x7f) << 21;
    if ((b & 0x80) === 0) {
      this.assertBounds();
      return result;
    }
    b = buf[this.pos++]!;
    result |= (b & 0x0f) << 28;
    for (let read = 5; (b & 0x80) !== 0 && read < 10; read++) b = buf[this.pos++]!;
    if ((b & 0x80) !== 0) throw new Error("invalid varint");
    this.assertBounds();
    return result >>> 0;
  }

  int32(): number {
    return this.uint32() | 0;
  }

  sint32(): number {
    const zze = this.uint32();
    return (zze >>> 1) ^ -(zze & 1);
  }

  #varint64(): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        this.#done64(pos, lo, hi);
        return;
      }
    }
    const middle = buf[pos++]!;
    lo |= (middle & 0x0f) << 28;
    hi = (middle & 0x70) >> 4;
    if ((middle & 0x80) === 0) {
      this.#done64(pos, lo, hi);
      return;
    }
    for (let shift = 3; shift <= 31; shift += 7) {
      const b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        this.#done64(pos, lo, hi);
        return;
      }
    }
    throw new Error("invalid varint");
  }

  #done64(pos: number, lo: number, hi: number): void {
    this.pos = pos;
    this.assertBounds();
    this.#lo = lo;
    this.#hi = hi;
  }

  int64(): bigint | string {
    this.#varint64();
    return protoInt64.dec(this.#lo, this.#hi);
  }

  uint64(): bigint | string {
    this.#varint64();
    return protoInt64.uDec(this.#lo, this.#hi);
  }

  sint64(): bigint | string {
    this.#varint64();
    let lo = this.#lo;
    let hi = this.#hi;
    const s = -(lo & 1);
    lo = ((lo >>> 1) | ((hi & 1) << 31)) ^ s;
    hi = (hi >>> 1) ^ s;
    return protoInt64.dec(lo, hi);
  }

  bool(): boolean {
    const b = this.buf[this.pos]!;
    if (b < 0x80) {
      this.pos++;
      return b !== 0;
    }
    this.#varint64();
    return this.#lo !== 0 || this.#hi !== 0;
  }

  /** The next `n` bytes' start, after checking they are there. */
  #fixed(n: number): number {
    const start = this.pos;
    if (start + n > this.len) throw new RangeError("Offset is outside the bounds of the DataView");
    this.pos = start + n;
    return start;
  }

  fixed32(): number {
    return this.sfixed32() >>> 0;
  }

  sfixed32(): number {
    const p = this.#fixed(4);
    const buf = this.buf;
    return buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
  }

  fixed64(): bigint | string {
    return protoInt64.uDec(this.sfixed32(), this.sfixed32());
  }

  sfixed64(): bigint | string {
    return protoInt64.dec(this.sfixed32(), this.sfixed32());
  }

  float(): number {
    const p = this.#fixed(4);
    for (let i = 0; i < 4; i++) scratch8[i] = this.buf[p + i]!;
    return scratchF32[0]!;
  }

  double(): number {
    const p = this.#fixed(8);
    for (let i = 0; i < 8; i++) scratch8[i] = this.buf[p + i]!;
    return scratchF64[0]!;
  }

  bytes(): Uint8Array {
    const length = this.uint32();
    const start = this.pos;
    this.pos += length;
    this.assertBounds();
    return this.buf.subarray(start, start + length);
  }

  string(strict: boolean): string {
    const length = this.uint32();
    const start = this.pos;
    this.pos += length;
    this.assertBounds();
    const buf = this.buf;
    if (length <= ASCII_MAX_LENGTH) {
      let text = "";
      for (let i = start; i < this.pos; i++) {
        const byte = buf[i]!;
        if (byte > 0x7f) return decodeUtf8(buf.subarray(start, this.pos), strict);
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return decodeUtf8(buf.subarray(start, this.pos), strict);
  }
}
