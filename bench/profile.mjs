#!/usr/bin/env node
// CPU profile of ours -> ours, unary 16 B with 64 in flight: server and client
// each run under `node --cpu-prof`; the profiles are summarized by self time.
// Writes bench/results/profile/{server,client}.cpuprofile and bench/results/profile.md.
//
//   node bench/profile.mjs [--pair ours:ours] [--scenario unary-64] [--seconds 8] [--top 15] [--out DIR]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildBench } from "./build.mjs";
import { formatSummary, summarizeProfile } from "./cpuprofile-top.mjs";
import { SCENARIOS } from "./lib/config.mjs";
import { runPair } from "./lib/pair.mjs";
import { waitQuiet } from "./lib/procs.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);
const { values: args } = parseArgs({
  options: {
    pair: { type: "string", default: "ours:ours" },
    scenario: { type: "string", default: "unary-64" },
    seconds: { type: "string", default: "8" },
    top: { type: "string", default: "15" },
    out: { type: "string" },
    "no-build": { type: "boolean", default: false },
  },
});
const [client, server] = args.pair.split(":");
const scenario = SCENARIOS.find((s) => s.id === args.scenario);
if (scenario === undefined) throw new Error(`unknown scenario ${args.scenario}`);
if (!args["no-build"]) buildBench({ quiet: true });

// Default: bench/results/profile/*.cpuprofile and bench/results/profile.md; with --out DIR, all in DIR.
const dir = args.out === undefined ? join(root, "bench/results/profile") : resolve(args.out);
const mdPath = args.out === undefined ? join(root, "bench/results/profile.md") : join(dir, "profile.md");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const flags = (name) => ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`, "--cpu-prof-interval=500"];
await waitQuiet({ onWait: (l) => console.log(`waiting: the machine is busy with other work (${l.toFixed(2)} cores)`) });
const result = await runPair(
  { client, server },
  [{ ...scenario, measureMs: Number(args.seconds) * 1000, maxOps: 10_000_000 }],
  { preWarmMs: 1000, warmMs: 1000, warmCount: 20_000, idleWaitMs: 300 },
  { nodeFlags: { server: flags("server"), client: flags("client") } },
);
if (result.error) throw new Error(result.error);
const r = result.records[0];
const lines = [
  `# CPU profile: ${client} → ${server}, ${scenario.title}`,
  "",
  `\`node bench/profile.mjs --pair ${args.pair} --scenario ${args.scenario} --seconds ${args.seconds}\` · ${new Date().toISOString()} · Node ${process.versions.node}`,
  "",
  `Under the profiler: ${Math.round(r.throughput).toLocaleString("en-US")} ${scenario.unit === "MB/s" ? "calls/s" : scenario.unit}, ` +
    `server ${r.serverCpuUsPerOp.toFixed(1)} µs CPU per call, client ${r.clientCpuUsPerOp.toFixed(1)} µs per call ` +
    `(the profiler itself costs some). Each profile covers the whole process: start-up, 2 s of warm-up with the same traffic, ${args.seconds} s measured.`,
  "",
];
for (const name of ["server", "client"]) {
  const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, `${name}.cpuprofile`), "utf8")));
  lines.push(formatSummary(`${name} (${name === "server" ? server : client})`, summary, Number(args.top), true), "");
  console.log(formatSummary(name, summary, Number(args.top), false), "\n");
}
writeFileSync(mdPath, lines.join("\n"));
console.log(`wrote ${mdPath} and ${dir}/{server,client}.cpuprofile`);
