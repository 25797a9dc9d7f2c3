// The least a gRPC peer must do on the wire, and no more: the 5-byte message
// prefix (PROTOCOL-HTTP2 "Length-Prefixed-Message") and hand-coded bytes for
// the two tiny messages of bench.v1 (no protobuf library):
//   Payload       { bytes data = 1; }            -> 0x0a varint(len) data
//   StreamRequest { int32 count = 1; int32 size = 2; } -> 0x08 varint 0x10 varint

export const SERVICE = "bench.v1.EchoService";
export const PATHS = {
  unary: `/${SERVICE}/Unary`,
  serverStream: `/${SERVICE}/ServerStream`,
  clientStream: `/${SERVICE}/ClientStream`,
  bidi: `/${SERVICE}/Bidi`,
};
export const CONTENT_TYPE = "application/grpc";

function varintSize(n) {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf, offset, n) {
  while (n >= 0x80) {
    buf[offset++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[offset++] = n;
  return offset;
}

function readVarint(buf, offset, end) {
  let value = 0;
  let shift = 1;
  for (let i = 0; i < 5 && offset < end; i++) {
    const b = buf[offset++];
    value += (b & 0x7f) * shift;
    if (b < 0x80) return [value, offset];
    shift *= 128;
  }
  throw new Error("bad varint");
}

/** A framed Payload message (prefix + message bytes) carrying `data`. proto3 omits an empty bytes field. */
export function payloadFrame(data) {
  const len = data.byteLength;
  const msgLen = len === 0 ? 0 : 1 + varintSize(len) + len;
  const out = Buffer.allocUnsafe(5 + msgLen);
  out[0] = 0;
  out.writeUInt32BE(msgLen, 1);
  if (len > 0) {
    out[5] = 0x0a;
    const at = writeVarint(out, 6, len);
    out.set(data, at);
  }
  return out;
}

/** The `data` of a Payload message in buf[start, end). Unknown fields are not expected here. */
export function payloadData(buf, start, end) {
  if (start === end) return buf.subarray(start, start);
  if (buf[start] !== 0x0a) throw new Error(`unexpected Payload tag 0x${buf[start].toString(16)}`);
  const [len, at] = readVarint(buf, start + 1, end);
  if (at + len !== end) throw new Error("bad Payload length");
  return buf.subarray(at, end);
}

/** A framed StreamRequest { count, size }. */
export function streamRequestFrame(count, size) {
  const msgLen = (count ? 1 + varintSize(count) : 0) + (size ? 1 + varintSize(size) : 0);
  const out = Buffer.allocUnsafe(5 + msgLen);
  out[0] = 0;
  out.writeUInt32BE(msgLen, 1);
  let at = 5;
  if (count) {
    out[at++] = 0x08;
    at = writeVarint(out, at, count);
  }
  if (size) {
    out[at++] = 0x10;
    at = writeVarint(out, at, size);
  }
  return out;
}

/** Parses a StreamRequest in buf[start, end). */
export function parseStreamRequest(buf, start, end) {
  let count = 0;
  let size = 0;
  let at = start;
  while (at < end) {
    const tag = buf[at++];
    let value;
    [value, at] = readVarint(buf, at, end);
    if (tag === 0x08) count = value;
    else if (tag === 0x10) size = value;
    else throw new Error(`unexpected StreamRequest tag 0x${tag.toString(16)}`);
  }
  return { count, size };
}

/**
 * A streaming deframer: push DATA chunks in any split; `onFrame(buf, start, end)`
 * gets each whole frame, prefix included, as a range of `buf` (the message is
 * buf[start + 5, end)). Frames inside one chunk are not copied.
 */
export class Deframer {
  /** Chunks of an incomplete frame, their total length, and the frame's length once its prefix is known (else 0). */
  #parts = [];
  #partsLength = 0;
  #need = 0;

  constructor(onFrame) {
    this.onFrame = onFrame;
  }

  get idle() {
    return this.#partsLength === 0;
  }

  push(chunk) {
    if (this.#partsLength > 0) {
      this.#parts.push(chunk);
      this.#partsLength += chunk.length;
      if (this.#need === 0 && this.#partsLength >= 5) this.#need = 5 + Buffer.concat(this.#parts, 5).readUInt32BE(1);
      if (this.#need === 0 || this.#partsLength < this.#need) return;
      chunk = Buffer.concat(this.#parts, this.#partsLength);
      this.#parts = [];
      this.#partsLength = 0;
      this.#need = 0;
    }
    let at = 0;
    const len = chunk.length;
    while (len - at >= 5) {
      if (chunk[at] !== 0) throw new Error("compressed or invalid message flags");
      const end = at + 5 + chunk.readUInt32BE(at + 1);
      if (end > len) {
        this.#need = end - at;
        break;
      }
      this.onFrame(chunk, at, end);
      at = end;
    }
    if (at < len) {
      this.#parts.push(chunk.subarray(at));
      this.#partsLength = len - at;
    }
  }
}
