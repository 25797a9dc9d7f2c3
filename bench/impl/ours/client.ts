// tsgrpc client for the bench contract (bench/README.md): the generated
// EchoServiceClient over one `Channel` (one HTTP/2 connection).
import { Channel } from "tsgrpc";
import { EchoServiceClient } from "../../../examples/gen/bench/v1/echo_grpc.js";

export interface Ctx {
  channel: Channel;
  client: EchoServiceClient;
}

export async function open(o: { host: string; port: number }): Promise<Ctx> {
  const channel = new Channel(`${o.host}:${o.port}`);
  return { channel, client: new EchoServiceClient(channel) };
}

export async function unary(ctx: Ctx, data: Uint8Array): Promise<Uint8Array> {
  return (await ctx.client.unary({ data })).data;
}

export async function serverStream(ctx: Ctx, count: number, size: number): Promise<number> {
  let received = 0;
  for await (const _ of ctx.client.serverStream({ count, size })) received++;
  return received;
}

function* repeat(data: Uint8Array, count: number) {
  const message = { data };
  for (let i = 0; i < count; i++) yield message;
}

export async function clientStream(ctx: Ctx, data: Uint8Array, count: number): Promise<Uint8Array> {
  return (await ctx.client.clientStream(repeat(data, count))).data;
}

export async function bidi(ctx: Ctx, data: Uint8Array, count: number): Promise<number> {
  let received = 0;
  for await (const _ of ctx.client.bidi(repeat(data, count))) received++;
  return received;
}

export async function close(ctx: Ctx): Promise<void> {
  await ctx.channel.close();
}
