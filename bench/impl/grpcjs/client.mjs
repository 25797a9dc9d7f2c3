// @grpc/grpc-js client for the bench contract (README.md): one channel, so one HTTP/2 connection.
import { EchoService, grpc } from "./proto.mjs";

/** proto-loader leaves an empty bytes field out (defaults: false). */
const EMPTY = Buffer.alloc(0);

export async function open({ host, port }) {
  const client = new EchoService(`${host}:${port}`, grpc.credentials.createInsecure());
  await new Promise((resolve, reject) => client.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())));
  return { client };
}

export function unary(ctx, data) {
  return new Promise((resolve, reject) => ctx.client.Unary({ data }, (e, r) => (e ? reject(e) : resolve(r.data ?? EMPTY))));
}

export function serverStream(ctx, count, size) {
  return new Promise((resolve, reject) => {
    let received = 0;
    const call = ctx.client.ServerStream({ count, size });
    call.on("data", () => received++);
    call.on("error", reject);
    call.on("end", () => resolve(received));
  });
}

/** Writes `{ data }` `count` times with backpressure, then ends the request side. */
function writeAll(call, data, count) {
  const message = { data };
  let sent = 0;
  const pump = () => {
    while (sent < count) {
      sent++;
      if (!call.write(message)) {
        call.once("drain", pump);
        return;
      }
    }
    call.end();
  };
  pump();
}

export function clientStream(ctx, data, count) {
  return new Promise((resolve, reject) => {
    const call = ctx.client.ClientStream((e, r) => (e ? reject(e) : resolve(r.data ?? EMPTY)));
    writeAll(call, data, count);
  });
}

export function bidi(ctx, data, count) {
  return new Promise((resolve, reject) => {
    let received = 0;
    const call = ctx.client.Bidi();
    call.on("data", () => received++);
    call.on("error", reject);
    call.on("end", () => resolve(received));
    writeAll(call, data, count);
  });
}

export async function close(ctx) {
  ctx.client.close();
}
