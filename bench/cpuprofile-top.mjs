#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function
// (name + file:line) and by where the code lives (node internals, tsgrpc's
// runtime, @bufbuild/protobuf, grpc-js, GC, ...).
//
//   node bench/cpuprofile-top.mjs FILE.cpuprofile [--top 15] [--markdown]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));

/** A short location: the path inside the project or node_modules package, or node's own module id. */
function shortUrl(url) {
  if (url === "") return "";
  let u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) return u.slice(nm + "/node_modules/".length);
  if (u.startsWith(root)) return u.slice(root.length);
  return u;
}

/** Which body of code a frame belongs to. */
function bucket(name, url) {
  if (url === "") {
    if (name === "(garbage collector)") return "GC";
    if (name === "(idle)" || name === "(program)" || name === "(root)") return name;
    return "native / builtins";
  }
  const u = shortUrl(url);
  if (u.startsWith("node:")) return "node internals";
  if (u.startsWith("dist/runtime/") || u.startsWith("runtime/")) return "tsgrpc runtime";
  if (u.startsWith("@bufbuild/protobuf/")) return "@bufbuild/protobuf";
  if (u.startsWith("@grpc/") || u.startsWith("protobufjs/") || u.startsWith("@protobufjs/")) return "grpc-js / protobufjs";
  if (u.startsWith("bench/") || u.startsWith("examples/")) return "bench + generated code";
  return u.split("/")[0];
}

/** Self time per function and per bucket, in ms; (idle) is counted apart. */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for the time until the next one.
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const functions = new Map();
  const buckets = new Map();
  let busyUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || "(anonymous)";
    if (name === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const where = url === "" ? "" : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${name}\t${where}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    const b = bucket(name, url);
    buckets.set(b, (buckets.get(b) ?? 0) + us);
  }
  const sorted = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([key, us]) => {
        const [name, where] = key.split("\t");
        return { name, where: where ?? "", ms: us / 1000, pct: (100 * us) / busyUs };
      });
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: sorted(functions),
    buckets: sorted(buckets),
  };
}

export function formatSummary(title, s, top, markdown) {
  const L = [];
  const head = `${title}: ${s.busyMs.toFixed(0)} ms busy of ${s.wallMs.toFixed(0)} ms profiled (idle ${s.idleMs.toFixed(0)} ms); percentages are of busy time`;
  if (markdown) {
    L.push(`### ${title}`, "", head.slice(title.length + 2), "");
    L.push("| # | self ms | self % | function | location |", "|---|---|---|---|---|");
    s.functions.slice(0, top).forEach((f, i) => L.push(`| ${i + 1} | ${f.ms.toFixed(0)} | ${f.pct.toFixed(1)} | \`${f.name}\` | ${f.where} |`));
    L.push("", "| where | self ms | self % |", "|---|---|---|");
    for (const b of s.buckets) L.push(`| ${b.name} | ${b.ms.toFixed(0)} | ${b.pct.toFixed(1)} |`);
  } else {
    L.push(head);
    s.functions.slice(0, top).forEach((f, i) =>
      L.push(`${String(i + 1).padStart(3)} ${f.ms.toFixed(0).padStart(7)} ms ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`),
    );
    L.push("  by where:");
    for (const b of s.buckets) L.push(`    ${b.ms.toFixed(0).padStart(7)} ms ${b.pct.toFixed(1).padStart(5)}%  ${b.name}`);
  }
  return L.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "15" }, markdown: { type: "boolean", default: false } },
  });
  for (const file of positionals) {
    const s = summarizeProfile(JSON.parse(readFileSync(file, "utf8")));
    console.log(formatSummary(file, s, Number(values.top), values.markdown), "\n");
  }
}
