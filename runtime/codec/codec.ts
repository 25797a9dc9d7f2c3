import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";

/**
 * Turns messages of one schema into bytes and back. The runtime builds one per
 * method and direction, once, and reuses it for every call.
 */
export interface MessageCodec<Desc extends DescMessage> {
  /** Encodes a message, or an init object that is first turned into one. */
  encode(message: MessageInitShape<Desc>): Uint8Array;
  decode(bytes: Uint8Array): MessageShape<Desc>;
}

/** Makes codecs for message schemas. The default is binary protobuf (`protoCodec`). */
export interface Codec {
  /** The content-type suffix: `application/grpc+<name>`. */
  readonly name: string;
  forSchema<Desc extends DescMessage>(schema: Desc): MessageCodec<Desc>;
}
