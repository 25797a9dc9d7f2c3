#!/usr/bin/env node
// The bench runner: every client × server pair (ours, grpcjs, raw), every
// scenario, server and client in separate processes on separate cores.
// Writes bench/results/results.{json,md,svg}. See bench/README.md.
//
//   node bench/run.mjs [--quick] [--reps N] [--warm-ms MS] [--measure-ms MS] [--pairs ours:ours,raw:grpcjs] [--scenarios unary-64,bidi] [--out DIR] [--no-build]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildBench } from "./build.mjs";
import { ALL_PAIRS, IDLE_ONLY, MODES, SCENARIOS, pairLabel } from "./lib/config.mjs";
import { idleRssOnly, runPair } from "./lib/pair.mjs";
import { canPin, waitQuiet } from "./lib/procs.mjs";
import { checkTargets, markdown, summarize, svg } from "./lib/report.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    "warm-ms": { type: "string" },
    "measure-ms": { type: "string" },
    pairs: { type: "string" },
    scenarios: { type: "string" },
    out: { type: "string" },
    "no-build": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`usage: node bench/run.mjs [options]
  --quick             1 rep, short runs, the 7 pairs the targets need (writes bench/results/quick/)
  --reps N            repetitions, each with fresh processes (full: 3)
  --warm-ms MS        warm-up before each measurement
  --measure-ms MS     length of each measurement (a stream scenario runs at least one whole stream)
  --pairs LIST        client:server pairs, e.g. ours:ours,raw:grpcjs (implementations: ours, grpcjs, raw)
  --scenarios LIST    ${SCENARIOS.map((s) => s.id).join(", ")}
  --out DIR           where results.{json,md,svg} go (default bench/results)
  --no-build          do not compile bench/impl/ours first
env BENCH_NO_PIN=1    do not pin server and client to cores`);
  process.exit(0);
}

const modeName = args.quick ? "quick" : "full";
const mode = { ...MODES[modeName] };
if (args.reps !== undefined) mode.reps = Number(args.reps);
if (args["warm-ms"] !== undefined) mode.warmMs = Number(args["warm-ms"]);
if (args["measure-ms"] !== undefined) mode.measureMs = Number(args["measure-ms"]);
const pairs = args.pairs === undefined ? mode.pairs : args.pairs.split(",").map((p) => {
  const [client, server] = p.split(":");
  const found = ALL_PAIRS.find((x) => x.client === client && x.server === server);
  if (found === undefined) throw new Error(`unknown pair ${p}: use client:server with ours, grpcjs, raw`);
  return found;
});
const scenarios = args.scenarios === undefined ? SCENARIOS : args.scenarios.split(",").map((id) => {
  const s = SCENARIOS.find((x) => x.id === id);
  if (s === undefined) throw new Error(`unknown scenario ${id}: one of ${SCENARIOS.map((x) => x.id).join(", ")}`);
  return s;
});
// Quick runs go beside the full results, not over them.
args.out ??= args.quick ? "bench/results/quick" : "bench/results";
const outDir = resolve(args.out);

if (!args["no-build"]) buildBench({ quiet: true });
if (!canPin) console.error("note: taskset or a second core is missing: server and client are not pinned");

const started = Date.now();
const records = [];
const idle = [];
const failures = [];
console.log(`bench ${modeName}: ${pairs.length} pair(s) × ${scenarios.length} scenario(s) × ${mode.reps} rep(s)`);
for (let rep = 1; rep <= mode.reps; rep++) {
  // Rotate the order each rep, so slow drift of the machine does not favour one pair.
  const order = pairs.map((_, i) => pairs[(i + (rep - 1) * 3) % pairs.length]);
  for (const pair of order) {
    let told = false;
    const load = await waitQuiet({
      maxWaitMs: mode.quietWaitMs,
      onWait: (l) => told || ((told = true), console.log(`  waiting up to ${mode.quietWaitMs / 1000} s: the machine is busy with other work (${l.toFixed(2)} cores)`)),
    });
    const t0 = Date.now();
    const result = await runPair(pair, scenarios, mode, { retries: mode.retries, quietWaitMs: mode.quietWaitMs, log: (m) => console.error(m) });
    for (const r of result.records) records.push({ rep, ...r });
    idle.push({ rep, ...pair, idleRss: result.idleRss });
    const brief = result.records.map((r) => `${r.scenario} ${Math.round(r.scenario === "unary-64k" ? r.mbps : r.throughput)}`).join(", ");
    console.log(`rep ${rep} ${pairLabel(pair).padEnd(17)} ${((Date.now() - t0) / 1000).toFixed(1)}s  ${brief}`);
    if (result.error !== undefined) {
      failures.push({ rep, ...pair, error: result.error });
      console.error(`  FAILED: ${result.error}`);
    }
    if (load >= 0.15) console.error(`  note: started with ${load.toFixed(2)} cores busy with other work`);
    const noisy = result.records.filter((r) => r.foreignCpu > 0.1);
    if (noisy.length > 0) console.error(`  note: other work used CPU during ${noisy.map((r) => `${r.scenario} (${r.foreignCpu.toFixed(2)} cores)`).join(", ")}`);
    for (const r of result.records) if (r.errors > 0) console.error(`  ${r.scenario}: ${r.errors} error(s), last: ${r.lastError}`);
  }
  for (const server of Object.keys(IDLE_ONLY)) {
    try {
      idle.push({ rep, client: "-", server, idleRss: await idleRssOnly(server, mode) });
    } catch (error) {
      console.error(`  idle RSS of ${server} not measured: ${error?.message ?? error}`);
    }
  }
}

const meta = {
  mode: modeName,
  date: new Date().toISOString(),
  node: process.versions.node,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model?.trim() ?? "unknown",
  pinned: canPin,
  reps: mode.reps,
  preWarmMs: mode.preWarmMs,
  warmMs: mode.warmMs,
  measureMs: mode.measureMs,
  retries: mode.retries,
  durationS: (Date.now() - started) / 1000,
  git: gitState(),
};
/** The commit measured, and whether runtime/ had uncommitted changes. */
function gitState() {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "runtime"], { encoding: "utf8" }).trim() !== "";
    return `${commit}${dirty ? " + uncommitted runtime/ changes" : ""}`;
  } catch {
    return "unknown";
  }
}

const summary = summarize(records, idle);
const targets = checkTargets(summary, records, idle);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "results.json"), JSON.stringify({ meta, scenarios, summary, targets, failures, idle, records }, null, 1) + "\n");
writeFileSync(join(outDir, "results.md"), markdown({ meta, summary, targets, pairs, scenarios, failures }));
writeFileSync(join(outDir, "results.svg"), svg({ meta, summary, pairs, scenarios }) + "\n");

console.log(`\ntargets (${modeName}):`);
for (const t of targets) {
  const v = t.value === undefined ? "n/a" : t.idle ? `${t.value.toFixed(1)} MB` : `${t.value.toFixed(2)}×`;
  console.log(`  ${t.result.padEnd(4)} ${v.padStart(9)}  ${t.text}`);
}
console.log(`\nwrote ${join(args.out, "results.{json,md,svg}")} in ${meta.durationS.toFixed(0)} s`);
process.exit(failures.length > 0 ? 1 : 0);
