import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";

/**
 * Turns messages of one schema into bytes and back. The runtime builds one per
 * method and direction, once, and reuses it for every call.
 */
export interface MessageCodec<Desc extends DescMessage> {
  /** Encodes a message, or an init object that is first turned into one. */
  encode(message: MessageInitShape<Desc>): Uint8Array;
  decode(bytes: Uint8Array): MessageShape<Desc>;
  /**
   * Optional, for speed: the message encoded as one uncompressed gRPC frame
   * (the 5-byte prefix, then the bytes of `encode()`) in a single buffer.
   * Without it the runtime frames what `encode()` returns, with one more copy.
   * The frame is written out and dropped, so it may be a view of memory that
   * other frames share (protoCodec's are).
   */
  encodeFrame?(message: MessageInitShape<Desc>): Buffer;
}

/**
 * A message format, like grpclib's `CodecBase`: makes a MessageCodec per
 * message schema. The default is binary protobuf (`protoCodec`); `jsonCodec`
 * is the protobuf JSON mapping. A server serves every codec it has (protobuf
 * and JSON, plus its `codecs` option) and picks one per call from the
 * request's content-type; a channel sends with its `codec` option.
 */
export interface Codec {
  /**
   * The content-type subtype, `application/grpc+<name>`, in lower case.
   * `proto` is also plain `application/grpc`.
   */
  readonly name: string;
  /**
   * The codec of one message type. Servers call it once per method and
   * direction; channels once per call, so a codec that is costly to make
   * should be cached per schema (protoCodec and jsonCodec do).
   */
  forSchema<Desc extends DescMessage>(schema: Desc): MessageCodec<Desc>;
}
