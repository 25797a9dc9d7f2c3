// Raw node:http2 gRPC client for the bench contract: correct gRPC framing,
// request headers and status checks, hand-coded bench.v1 messages.
import * as http2 from "node:http2";
import { once } from "node:events";
import { CONTENT_TYPE, Deframer, PATHS, payloadData, payloadFrame, streamRequestFrame } from "./wire.mjs";

const headers = Object.fromEntries(
  Object.entries(PATHS).map(([name, path]) => [name, { ":method": "POST", ":path": path, "content-type": CONTENT_TYPE, te: "trailers" }]),
);

export async function open({ host, port }) {
  const session = http2.connect(`http://${host}:${port}`);
  session.on("error", () => {});
  await once(session, "connect");
  return { session };
}

/**
 * Starts a call; `onFrame(buf, start, end)` gets each response frame. Resolves
 * when the stream closes with grpc-status 0, rejects otherwise.
 */
function call(ctx, name, onFrame, send) {
  return new Promise((resolve, reject) => {
    const stream = ctx.session.request(headers[name]);
    const deframer = new Deframer(onFrame);
    let status;
    let message;
    let httpStatus;
    let error;
    stream.on("response", (h) => {
      httpStatus = h[":status"];
      if (h["grpc-status"] !== undefined) {
        status = h["grpc-status"];
        message = h["grpc-message"];
      }
    });
    stream.on("trailers", (t) => {
      status = t["grpc-status"];
      message = t["grpc-message"];
    });
    stream.on("data", (chunk) => {
      try {
        deframer.push(chunk);
      } catch (e) {
        error ??= e;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    stream.on("error", (e) => (error ??= e));
    stream.on("close", () => {
      if (error !== undefined) reject(error);
      else if (httpStatus !== 200) reject(new Error(`HTTP status ${httpStatus}`));
      else if (status !== "0") reject(new Error(`grpc-status ${status ?? "missing"}: ${decodeURIComponent(message ?? "")}`));
      else if (!deframer.idle) reject(new Error("response ended inside a message"));
      else resolve();
    });
    send(stream);
  });
}

/** Writes `frame` `count` times with backpressure, then ends the request side. */
function writeFrames(stream, frame, count) {
  let sent = 0;
  const pump = () => {
    while (sent < count) {
      if (stream.destroyed) return;
      sent++;
      if (!stream.write(frame)) {
        stream.once("drain", pump);
        return;
      }
    }
    stream.end();
  };
  pump();
}

function single(ctx, name, request) {
  let response;
  let count = 0;
  return call(
    ctx,
    name,
    (buf, start, end) => {
      count++;
      response = payloadData(buf, start + 5, end);
    },
    (stream) => stream.end(request),
  ).then(() => {
    if (count !== 1) throw new Error(`expected one response message, got ${count}`);
    return response;
  });
}

export function unary(ctx, data) {
  return single(ctx, "unary", payloadFrame(data));
}

export async function serverStream(ctx, count, size) {
  let received = 0;
  await call(ctx, "serverStream", () => received++, (stream) => stream.end(streamRequestFrame(count, size)));
  return received;
}

export function clientStream(ctx, data, count) {
  let response;
  let received = 0;
  const frame = payloadFrame(data);
  return call(
    ctx,
    "clientStream",
    (buf, start, end) => {
      received++;
      response = payloadData(buf, start + 5, end);
    },
    (stream) => writeFrames(stream, frame, count),
  ).then(() => {
    if (received !== 1) throw new Error(`expected one response message, got ${received}`);
    return response;
  });
}

export async function bidi(ctx, data, count) {
  let received = 0;
  const frame = payloadFrame(data);
  await call(ctx, "bidi", () => received++, (stream) => writeFrames(stream, frame, count));
  return received;
}

export async function close(ctx) {
  if (ctx.session.destroyed) return;
  await new Promise((resolve) => ctx.session.close(resolve));
}
