import { create, fromBinary, isMessage, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Codec, MessageCodec } from "./codec.js";

const cache = new WeakMap<DescMessage, MessageCodec<DescMessage>>();

/** Binary protobuf through @bufbuild/protobuf, the gRPC default (`application/grpc+proto`). */
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
  return {
    encode(message: MessageInitShape<Desc>): Uint8Array {
      const msg = isMessage(message, schema) ? (message as MessageShape<Desc>) : create(schema, message);
      return toBinary(schema, msg);
    },
    decode(bytes: Uint8Array): MessageShape<Desc> {
      return fromBinary(schema, bytes);
    },
  };
}
