// The client process of one benchmark pair: loads a contract client module,
// opens one connection, and runs scenarios as the runner (run.mjs) asks,
// one JSON line per command on stdin, one JSON line per answer on stdout.
//
//   node bench/driver.mjs <client-module> <host> <port>
//
// Commands: {cmd:"run", scenario, durationMs, maxOps, count?, phase} ->
// {ev:"done", phase, ...result}; {cmd:"close"} -> {ev:"closed"} and exit.
// Every loop stops at durationMs or maxOps, whichever comes first.
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [modulePath, host, portText] = process.argv.slice(2);
const client = await import(pathToFileURL(resolve(modulePath)).href);
const send = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const MAX_ERRORS = 50;

const ctx = await client.open({ host, port: Number(portText) });
send({ ev: "open" });

/** p-th percentile (0..100) of the first n values of a Float64Array, sorted in place. */
function percentiles(values, n) {
  const sorted = values.subarray(0, n).sort();
  const at = (p) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.floor((p / 100) * n))]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return { p50: at(50), p90: at(90), p99: at(99), max: n ? sorted[n - 1] : NaN, mean: n ? sum / n : NaN };
}

async function runUnary(s, durationMs, maxOps, record) {
  const data = Buffer.alloc(s.size, 0x61);
  const latencies = record ? new Float64Array(maxOps) : undefined;
  let issued = 0;
  let done = 0;
  let errors = 0;
  let lastError;
  const deadline = performance.now() + durationMs;
  /** One call, timed; never rejects. */
  const one = async () => {
    const start = performance.now();
    try {
      const echoed = await client.unary(ctx, data);
      if (echoed.byteLength !== data.byteLength) throw new Error(`echoed ${echoed.byteLength} bytes, sent ${data.byteLength}`);
      if (latencies !== undefined) latencies[done] = performance.now() - start;
      done++;
    } catch (error) {
      lastError = String(error?.message ?? error);
      if (++errors >= MAX_ERRORS) issued = maxOps;
    }
  };
  const worker = async () => {
    while (issued < maxOps && performance.now() < deadline) {
      issued++;
      await one();
    }
  };
  // Paced: `burst` calls every burst/rate seconds, never more than `inflight` at once.
  const paced = async () => {
    const running = new Set();
    const intervalMs = (1000 * s.burst) / s.rate;
    let next = performance.now();
    while (issued < maxOps && performance.now() < deadline) {
      for (let i = 0; i < s.burst && running.size < s.inflight && issued < maxOps; i++) {
        issued++;
        const p = one();
        running.add(p);
        p.then(() => running.delete(p));
      }
      next += intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await Promise.all(running);
  };
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  if (s.rate !== undefined) await paced();
  else await Promise.all(Array.from({ length: s.inflight }, worker));
  const elapsedMs = performance.now() - t0;
  const { user, system } = process.cpuUsage(cpu);
  return {
    ops: done,
    calls: done,
    elapsedMs,
    clientCpuUs: user + system,
    errors,
    lastError,
    latencyMs: latencies === undefined ? undefined : percentiles(latencies, done),
  };
}

async function runStream(s, durationMs, maxOps, count) {
  const data = Buffer.alloc(s.size, 0x62);
  const once = {
    serverStream: () => client.serverStream(ctx, count, s.size),
    clientStream: () =>
      client.clientStream(ctx, data, count).then((last) => {
        if (last.byteLength !== s.size) throw new Error(`last message has ${last.byteLength} bytes, sent ${s.size}`);
        return count;
      }),
    bidi: () => client.bidi(ctx, data, count),
  }[s.kind];
  let ops = 0;
  let calls = 0;
  let errors = 0;
  let lastError;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  // At least one whole stream; then whole streams while time and the message budget last.
  do {
    calls++;
    try {
      const got = await once();
      if (got !== count) throw new Error(`got ${got} messages, expected ${count}`);
      ops += got;
    } catch (error) {
      lastError = String(error?.message ?? error);
      if (++errors >= 3) break;
    }
  } while (ops + count <= maxOps && performance.now() < deadline);
  const elapsedMs = performance.now() - t0;
  const { user, system } = process.cpuUsage(cpu);
  return { ops, calls, elapsedMs, clientCpuUs: user + system, errors, lastError };
}

process.once("SIGTERM", () => process.exit(0));
const rl = createInterface({ input: process.stdin });
rl.on("close", () => process.exit(1)); // the runner went away
for await (const line of rl) {
  const m = JSON.parse(line);
  if (m.cmd === "run") {
    const s = m.scenario;
    const result =
      s.kind === "unary"
        ? await runUnary(s, m.durationMs, m.maxOps, m.phase === "measure")
        : await runStream(s, m.durationMs, m.maxOps, m.count ?? s.count);
    send({ ev: "done", phase: m.phase, ...result });
  } else if (m.cmd === "close") {
    await client.close(ctx);
    send({ ev: "closed" });
    process.exit(0);
  }
}
