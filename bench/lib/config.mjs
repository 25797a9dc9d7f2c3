// What the bench runs: the implementations, the scenarios, and the two modes.
export const IMPLS = {
  ours: { label: "tsgrpc", server: "bench/server.mjs", client: "bench/client.mjs" },
  grpcjs: { label: "grpc-js", server: "bench/impl/grpcjs/server.mjs", client: "bench/impl/grpcjs/client.mjs" },
  raw: { label: "raw http2", server: "bench/impl/raw/server.mjs", client: "bench/impl/raw/client.mjs" },
};
export const IMPL_NAMES = Object.keys(IMPLS);
/** Servers measured for idle RSS only: ours as one esbuild bundle (bench/build.mjs makes it). */
export const IDLE_ONLY = {
  "ours-bundled": { label: "tsgrpc, bundled with esbuild", server: "bench/build/server.bundle.mjs" },
};

/**
 * kind: which contract function; size: payload bytes; inflight: concurrent unary
 * calls; count: messages per stream; maxOps: cap on calls (unary) or messages
 * (streams) in one measurement; unit: the headline figure; rate/burst: pace the
 * calls (bursts of `burst` calls, `rate` calls per second, at most `inflight`
 * in flight); chart: what results.svg draws (default: the headline figure).
 */
export const SCENARIOS = [
  { id: "unary-1", title: "Unary, 16 B, 1 in flight", kind: "unary", size: 16, inflight: 1, maxOps: 200_000, unit: "req/s" },
  { id: "unary-64", title: "Unary, 16 B, 64 in flight", kind: "unary", size: 16, inflight: 64, maxOps: 1_000_000, unit: "req/s" },
  // The same offered load for every pair (bursts of 10 every 10 ms), so CPU per call compares like with like:
  // in the closed-loop scenarios a faster peer batches more and so also looks cheaper per call.
  { id: "unary-paced", title: "Unary, 16 B, paced at 1,000 req/s", kind: "unary", size: 16, inflight: 64, rate: 1000, burst: 10, maxOps: 100_000, unit: "req/s", chart: "serverCpuUsPerOp" },
  { id: "server-stream", title: "Server streaming, 100k x 64 B", kind: "serverStream", size: 64, count: 100_000, maxOps: 3_000_000, unit: "msg/s" },
  { id: "client-stream", title: "Client streaming, 100k x 64 B", kind: "clientStream", size: 64, count: 100_000, maxOps: 3_000_000, unit: "msg/s" },
  { id: "bidi", title: "Bidi, 100k x 64 B echoed", kind: "bidi", size: 64, count: 100_000, maxOps: 3_000_000, unit: "msg/s" },
  { id: "unary-64k", title: "Unary, 64 KiB, 16 in flight", kind: "unary", size: 65_536, inflight: 16, maxOps: 200_000, unit: "MB/s" },
];

export const ALL_PAIRS = IMPL_NAMES.flatMap((client) => IMPL_NAMES.map((server) => ({ client, server })));
/** The pairs the targets compare: same implementation on both sides, and each one against the raw peer. */
export const TARGET_PAIRS = ALL_PAIRS.filter((p) => p.client === p.server || p.client === "raw" || p.server === "raw");

/**
 * preWarmMs: a first pass over every scenario before any is measured (the JIT
 * needs seconds, and later scenarios would otherwise profit from earlier ones);
 * warmMs/measureMs: per scenario (a stream scenario always runs at least one
 * whole stream); idleWaitMs: settle time before reading idle RSS; retries: how
 * often a measurement disturbed by other work on the machine is redone;
 * quietWaitMs: the longest wait for the machine to become quiet.
 */
export const MODES = {
  full: { reps: 3, preWarmMs: 400, warmMs: 600, measureMs: 1500, warmCount: 20_000, idleWaitMs: 500, retries: 2, quietWaitMs: 60_000, pairs: ALL_PAIRS },
  quick: { reps: 1, preWarmMs: 250, warmMs: 250, measureMs: 500, warmCount: 10_000, idleWaitMs: 300, retries: 1, quietWaitMs: 15_000, pairs: TARGET_PAIRS },
};


export const pairKey = (p) => `${p.client}:${p.server}`;
export const pairLabel = (p) => `${p.client} → ${p.server}`;
