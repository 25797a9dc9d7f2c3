// Raw node:http2 gRPC echo server: correct gRPC framing and status trailers,
// no protobuf library (messages are echoed as the bytes they arrived in).
// The floor the other servers are compared with. Contract: ../../README.md.
import * as http2 from "node:http2";
import { CONTENT_TYPE, Deframer, PATHS, parseStreamRequest, payloadFrame } from "./wire.mjs";

const EMPTY_PAYLOAD = payloadFrame(new Uint8Array(0));
const OK_TRAILERS = { "grpc-status": "0" };

function respond(stream) {
  stream.respond({ ":status": 200, "content-type": CONTENT_TYPE }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
}

function fail(stream, code, message) {
  if (stream.destroyed || stream.headersSent) {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.respond(
    { ":status": 200, "content-type": CONTENT_TYPE, "grpc-status": String(code), "grpc-message": encodeURIComponent(message) },
    { endStream: true },
  );
}

/** Collects the one request message of a unary or server-streaming call: resolves with the whole frame. */
function readSingle(stream, onFrame) {
  const chunks = [];
  stream.on("data", (chunk) => chunks.push(chunk));
  stream.on("end", () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) {
      fail(stream, 13, "expected exactly one uncompressed request message");
      return;
    }
    onFrame(body);
  });
}

function unary(stream) {
  readSingle(stream, (frame) => {
    respond(stream);
    stream.end(frame); // Payload in, the same Payload bytes out.
  });
}

function serverStream(stream) {
  readSingle(stream, (frame) => {
    const { count, size } = parseStreamRequest(frame, 5, frame.length);
    const reply = payloadFrame(Buffer.alloc(size));
    respond(stream);
    let sent = 0;
    const pump = () => {
      while (sent < count) {
        if (stream.destroyed) return;
        sent++;
        if (!stream.write(reply)) {
          stream.once("drain", pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
}

function clientStream(stream) {
  let last = EMPTY_PAYLOAD;
  const deframer = new Deframer((buf, start, end) => {
    last = buf.subarray(start, end);
  });
  stream.on("data", (chunk) => deframer.push(chunk));
  stream.on("end", () => {
    if (!deframer.idle) return fail(stream, 13, "request ended inside a message");
    respond(stream);
    stream.end(last);
  });
}

function bidi(stream) {
  let responded = false;
  const deframer = new Deframer((buf, start, end) => {
    if (!responded) {
      responded = true;
      respond(stream);
    }
    if (!stream.write(buf.subarray(start, end)) && !stream.isPaused()) {
      stream.pause();
      stream.once("drain", () => stream.resume());
    }
  });
  stream.on("data", (chunk) => deframer.push(chunk));
  stream.on("end", () => {
    if (!deframer.idle) return fail(stream, 13, "request ended inside a message");
    if (!responded) respond(stream);
    stream.end();
  });
}

const handlers = new Map([
  [PATHS.unary, unary],
  [PATHS.serverStream, serverStream],
  [PATHS.clientStream, clientStream],
  [PATHS.bidi, bidi],
]);

const server = http2.createServer();
server.on("session", (session) => session.on("error", () => {}));
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  if (headers[":method"] !== "POST" || !String(headers["content-type"]).startsWith(CONTENT_TYPE)) {
    stream.respond({ ":status": 415 }, { endStream: true });
    return;
  }
  const handler = handlers.get(headers[":path"]);
  if (handler === undefined) return fail(stream, 12, `unknown method ${headers[":path"]}`);
  handler(stream);
});

const port = Number(process.env.PORT ?? 50051);
server.listen(port, process.env.HOST ?? "127.0.0.1", () => {
  process.stdout.write("READY\n");
});
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
