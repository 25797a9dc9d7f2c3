import { create, fromJsonString, isMessage, toJsonString } from "@bufbuild/protobuf";
import type { DescMessage, JsonReadOptions, JsonWriteStringOptions, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { Codec, MessageCodec } from "./codec.js";

/** Options of `createJsonCodec()`. */
export interface JsonCodecOptions {
  /**
   * How messages are parsed. Default: unknown fields (and unknown enum names)
   * are ignored, as connect-go does, so a peer with a newer schema does not
   * break an older one; `registry` is needed for `google.protobuf.Any`.
   */
  readOptions?: Partial<JsonReadOptions>;
  /** How messages are written (`registry`, `alwaysEmitImplicit`, `useProtoFieldName`, ...). */
  writeOptions?: Partial<JsonWriteStringOptions>;
  /** The content-type subtype, `application/grpc+<name>` (default `json`). */
  name?: string;
}

/**
 * A codec for the protobuf JSON mapping (`application/grpc+json`) through
 * @bufbuild/protobuf's `toJsonString` / `fromJsonString`, UTF-8 on the wire.
 */
export function createJsonCodec(options: JsonCodecOptions = {}): Codec {
  const readOptions: Partial<JsonReadOptions> = { ignoreUnknownFields: true, ...options.readOptions };
  const writeOptions: Partial<JsonWriteStringOptions> = { ...options.writeOptions };
  const cache = new WeakMap<DescMessage, MessageCodec<DescMessage>>();
  return {
    name: options.name ?? "json",
    forSchema<Desc extends DescMessage>(schema: Desc): MessageCodec<Desc> {
      let codec = cache.get(schema);
      if (codec === undefined) {
        codec = makeCodec(schema, readOptions, writeOptions);
        cache.set(schema, codec);
      }
      return codec as MessageCodec<Desc>;
    },
  };
}

/** The protobuf JSON codec with the default options (`application/grpc+json`). */
export const jsonCodec: Codec = createJsonCodec();

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function makeCodec<Desc extends DescMessage>(
  schema: Desc,
  readOptions: Partial<JsonReadOptions>,
  writeOptions: Partial<JsonWriteStringOptions>,
): MessageCodec<Desc> {
  return {
    encode(message: MessageInitShape<Desc>): Uint8Array {
      const msg = isMessage(message, schema) ? (message as MessageShape<Desc>) : create(schema, message);
      return encoder.encode(toJsonString(schema, msg, writeOptions));
    },
    decode(bytes: Uint8Array): MessageShape<Desc> {
      return fromJsonString(schema, decoder.decode(bytes), readOptions);
    },
  };
}
