import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { frameMessage } from "../protocol/framing.js";
import type { MessageCodec } from "./codec.js";

/**
 * One message as an uncompressed gRPC frame: straight from the codec when it
 * can (protoCodec writes the prefix and the message into one buffer), else
 * `encode()` then framing. The message bytes are `frame.subarray(5)`.
 */
export function encodeFrame<Desc extends DescMessage>(codec: MessageCodec<Desc>, message: MessageInitShape<Desc>): Buffer {
  return codec.encodeFrame !== undefined ? codec.encodeFrame(message) : frameMessage(codec.encode(message));
}
