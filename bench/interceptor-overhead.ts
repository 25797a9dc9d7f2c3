// What a pass-through interceptor costs: unary calls and streamed messages in one process over real
// HTTP/2 on 127.0.0.1, with no interceptor, one client interceptor, one server interceptor, and both.
// Alternates the variants in rounds so machine noise hits them alike; prints CPU µs per call/message.
// Run: npm run build && node --import tsx bench/interceptor-overhead.ts [rounds] (the runtime from dist/, as users get it)
import { Channel, Server, type ClientInterceptor, type ServerInterceptor } from "tsgrpc";
import { GreeterClient } from "../examples/gen/greeter/v1/greeter_grpc.js";
import { GreeterService } from "../examples/greeter-service.js";

const rounds = Number(process.argv[2] ?? 5);
const UNARY = 2_000;
const STREAMED = 20_000;
const passClient: ClientInterceptor = (next) => (request) => next(request);
const passServer: ServerInterceptor = (next) => (call, requests) => next(call, requests);

type Variant = { name: string; client: ClientInterceptor[]; server: ServerInterceptor[] };
const variants: Variant[] = [
  { name: "none", client: [], server: [] },
  { name: "client", client: [passClient], server: [] },
  { name: "server", client: [], server: [passServer] },
  { name: "both", client: [passClient], server: [passServer] },
];

async function measure(variant: Variant): Promise<{ unary: number; streamed: number }> {
  const server = new Server({ interceptors: variant.server }).add(new GreeterService());
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  const channel = new Channel(`127.0.0.1:${port}`, { interceptors: variant.client });
  const client = new GreeterClient(channel);
  try {
    for (let i = 0; i < 200; i++) await client.sayHello({ name: "warm" });
    let start = process.cpuUsage();
    for (let i = 0; i < UNARY / 100; i++) await Promise.all(Array.from({ length: 100 }, () => client.sayHello({ name: "x" })));
    let used = process.cpuUsage(start);
    const unary = (used.user + used.system) / UNARY;
    start = process.cpuUsage();
    let n = 0;
    for await (const _ of client.lotsOfReplies({ name: "x", count: STREAMED })) n++;
    used = process.cpuUsage(start);
    if (n !== STREAMED) throw new Error(`got ${n} messages`);
    return { unary, streamed: (used.user + used.system) / STREAMED };
  } finally {
    await channel.close();
    await server.forceClose();
  }
}

const results = new Map<string, { unary: number[]; streamed: number[] }>(variants.map((v) => [v.name, { unary: [], streamed: [] }]));
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const r = await measure(variant);
    results.get(variant.name)!.unary.push(r.unary);
    results.get(variant.name)!.streamed.push(r.streamed);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = results.get("none")!;
console.log(`| interceptors | unary CPU µs/call (client+server) | vs none | streamed CPU µs/msg | vs none |`);
console.log(`|---|---|---|---|---|`);
for (const [name, r] of results) {
  const u = median(r.unary);
  const s = median(r.streamed);
  console.log(`| ${name} | ${u.toFixed(1)} | ${(u / median(base.unary)).toFixed(2)}x | ${s.toFixed(2)} | ${(s / median(base.streamed)).toFixed(2)}x |`);
}
