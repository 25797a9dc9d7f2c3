import { create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { PREFIX_LENGTH } from "../protocol/framing.js";
import { type MessageFields, type MessageWriter, messageWriter, reachesJsonField } from "./binary/message-writer.js";
import { type MessageReader, messageReader } from "./binary/message-reader.js";
import { ScratchWriter } from "./binary/scratch-writer.js";
import { WireReader } from "./binary/wire-reader.js";
import type { Codec, MessageCodec } from "./codec.js";

const cache = new WeakMap<DescMessage, MessageCodec<DescMessage>>();

/**
 * Binary protobuf, the gRPC default (`application/grpc+proto`): messages of
 * @bufbuild/protobuf, written and read by compiled writers and readers of our
 * own (./binary) that give the bytes and messages `toBinary` and
 * `fromBinary` give, with less allocation per message.
 */
export const protoCodec: Codec = {
  name: "proto",
  forSchema<Desc extends DescMessage>(schema: Desc): MessageCodec<Desc> {
    let codec = cache.get(schema);
    if (codec === undefined) {
      codec = makeCodec(schema);
      cache.set(schema, codec);
    }
    return codec as MessageCodec<Desc>;
  },
};

function makeCodec<Desc extends DescMessage>(schema: Desc): MessageCodec<Desc> {
  if (reachesJsonField(schema)) {
    const toMessage = (message: MessageInitShape<Desc>): MessageShape<Desc> =>
      isMessage(message, schema) ? (message as MessageShape<Desc>) : create(schema, message);
    return {
      encode: (message) => toBinary(schema, toMessage(message)),
      decode: (bytes) => fromBinary(schema, bytes),
    };
  }
  const write = messageWriter(schema);
  const read = messageReader(schema);
  // The writer takes messages of this schema and init objects as they are; anything else (no object, or a
  // message of another type, which create() reads as an init object) goes through create() first.
  const writable = (message: MessageInitShape<Desc>): MessageFields => {
    const typeName = (message as { $typeName?: unknown } | null | undefined)?.$typeName;
    if (typeof message === "object" && message !== null && (typeName === undefined || typeName === schema.typeName)) {
      return message as unknown as MessageFields;
    }
    return create(schema, message) as unknown as MessageFields;
  };
  return {
    // A buffer of its own: whoever calls encode() may keep it (encodeFrame()'s frames are sent, not kept).
    encode: (message) => Buffer.from(writeMessage(write, writable(message), 0)),
    encodeFrame(message) {
      const frame = writeMessage(write, writable(message), PREFIX_LENGTH);
      frame[0] = 0;
      frame.writeUInt32BE(frame.length - PREFIX_LENGTH, 1);
      return frame;
    },
    decode: (bytes) => readMessage(read, bytes) as MessageShape<Desc>,
  };
}

/** Every message is read with one reader, reset per message. */
const wire = new WireReader();
let wireInUse = false;

function readMessage(read: MessageReader, bytes: Uint8Array): unknown {
  // Decoding is synchronous and calls no user code; the check only keeps a surprise from corrupting it.
  const reader = wireInUse ? new WireReader() : wire;
  wireInUse = true;
  try {
    reader.reset(bytes);
    return read(reader);
  } finally {
    if (reader === wire) {
      wireInUse = false;
      wire.release();
    }
  }
}

/** Every message is written into a shared slab and handed out as a view of it (see scratch-writer.ts). */
const scratch = new ScratchWriter();
let scratchInUse = false;

/** The message's bytes after `offset` bytes left for the caller to fill. */
function writeMessage(write: MessageWriter, message: MessageFields, offset: number): Buffer {
  // Encoding is synchronous; only a getter that encodes another message could get here twice.
  const writer = scratchInUse ? new ScratchWriter() : scratch;
  scratchInUse = true;
  try {
    writer.reset(offset);
    write(writer, message);
    return writer.finish();
  } finally {
    if (writer === scratch) scratchInUse = false;
  }
}
