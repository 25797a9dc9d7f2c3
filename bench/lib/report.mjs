// Turns bench records into a summary (medians with min–max), the target
// checks, results.md and results.svg.
import { IDLE_ONLY, IMPLS, pairKey, pairLabel } from "./config.mjs";

const METRICS = [
  "throughput",
  "mbps",
  "p50Ms",
  "p99Ms",
  "serverCpuUsPerOp",
  "clientCpuUsPerOp",
  "serverCpuUtil",
  "clientCpuUtil",
  "serverPeakRss",
  "foreignCpu",
  "errors",
];

export function stats(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

/** { scenarios: { [id]: { [client:server]: { [metric]: stats } } }, idleRss: { [server]: stats } } */
export function summarize(records, idle) {
  const scenarios = {};
  for (const r of records) {
    ((scenarios[r.scenario] ??= {})[`${r.client}:${r.server}`] ??= []).push(r);
  }
  const out = { scenarios: {}, idleRss: {} };
  for (const [id, byPair] of Object.entries(scenarios)) {
    out.scenarios[id] = {};
    for (const [key, rs] of Object.entries(byPair)) {
      const m = {};
      for (const metric of METRICS) {
        const s = stats(rs.map((r) => r[metric]));
        if (s !== undefined) m[metric] = s;
      }
      out.scenarios[id][key] = m;
    }
  }
  const byServer = {};
  for (const i of idle) if (i.idleRss !== undefined) (byServer[i.server] ??= []).push(i.idleRss);
  for (const [server, values] of Object.entries(byServer)) out.idleRss[server] = stats(values);
  return out;
}

/** The targets. `ratio` = a / b (or a - b for "diff"), checked against `bound`. */
export const TARGETS = [
  { text: "ours→ours unary 64 in flight req/s ≥ 2× grpcjs→grpcjs", scenario: "unary-64", metric: "throughput", a: "ours:ours", b: "grpcjs:grpcjs", cmp: ">=", bound: 2 },
  { text: "ours→ours unary 64 in flight req/s ≥ 85% of raw→raw", scenario: "unary-64", metric: "throughput", a: "ours:ours", b: "raw:raw", cmp: ">=", bound: 0.85 },
  { text: "server CPU per unary call (64 in flight, raw client): ours ≤ 0.67× grpc-js", scenario: "unary-64", metric: "serverCpuUsPerOp", a: "raw:ours", b: "raw:grpcjs", cmp: "<=", bound: 0.67 },
  { text: "server CPU per unary call (64 in flight, raw client): ours ≤ 1.2× raw", scenario: "unary-64", metric: "serverCpuUsPerOp", a: "raw:ours", b: "raw:raw", cmp: "<=", bound: 1.2 },
  { text: "client CPU per unary call (64 in flight, raw server): ours ≤ 0.5× grpc-js", scenario: "unary-64", metric: "clientCpuUsPerOp", a: "ours:raw", b: "grpcjs:raw", cmp: "<=", bound: 0.5 },
  { text: "server streaming msg/s: ours→ours ≥ 5× grpcjs→grpcjs", scenario: "server-stream", metric: "throughput", a: "ours:ours", b: "grpcjs:grpcjs", cmp: ">=", bound: 5 },
  { text: "unary 64 KiB MB/s: ours→ours ≥ 2× grpcjs→grpcjs", scenario: "unary-64k", metric: "mbps", a: "ours:ours", b: "grpcjs:grpcjs", cmp: ">=", bound: 2 },
  { text: "p99 latency at 64 in flight: ours→ours ≤ grpcjs→grpcjs", scenario: "unary-64", metric: "p99Ms", a: "ours:ours", b: "grpcjs:grpcjs", cmp: "<=", bound: 1 },
  { text: "idle server RSS: ours within 10 MB of raw", idle: true, a: "ours", b: "raw", cmp: "<=", bound: 10, diff: true },
];

/** Each target with its measured values, the ratio of medians, the per-rep range of the ratio, and PASS/MISS. */
export function checkTargets(summary, records, idle) {
  return TARGETS.map((t) => {
    let a;
    let b;
    let perRep = [];
    if (t.idle) {
      a = summary.idleRss[t.a]?.median;
      b = summary.idleRss[t.b]?.median;
      const reps = new Set(idle.map((i) => i.rep));
      for (const rep of reps) {
        // Same rep: the mean idle RSS of each server across its pairs in that rep.
        const mean = (server) => avg(idle.filter((i) => i.rep === rep && i.server === server).map((i) => i.idleRss));
        const d = (mean(t.a) - mean(t.b)) / 2 ** 20;
        if (Number.isFinite(d)) perRep.push(d);
      }
    } else {
      a = summary.scenarios[t.scenario]?.[t.a]?.[t.metric]?.median;
      b = summary.scenarios[t.scenario]?.[t.b]?.[t.metric]?.median;
      const pick = (key, rep) => records.find((r) => r.scenario === t.scenario && pairKey(r) === key && r.rep === rep)?.[t.metric];
      for (const rep of new Set(records.map((r) => r.rep))) {
        const x = pick(t.a, rep);
        const y = pick(t.b, rep);
        if (x !== undefined && y !== undefined) perRep.push(x / y);
      }
    }
    if (a === undefined || b === undefined) return { ...t, a: undefined, b: undefined, value: undefined, result: "n/a" };
    const value = t.diff ? (a - b) / 2 ** 20 : a / b;
    const pass = t.cmp === ">=" ? value >= t.bound : value <= t.bound;
    return { ...t, aValue: a, bValue: b, value, perRep: stats(perRep), result: pass ? "PASS" : "MISS" };
  });
}

const avg = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

// ---------------------------------------------------------------- Markdown

function fmt(x, digits) {
  if (x === undefined || !Number.isFinite(x)) return "–";
  if (digits !== undefined) return x.toFixed(digits);
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString("en-US");
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function cell(s, scale = 1, digits) {
  if (s === undefined) return "–";
  if (s.n === 1 || s.min === s.max) return fmt(s.median * scale, digits);
  return `${fmt(s.median * scale, digits)} <sub>(${fmt(s.min * scale, digits)}–${fmt(s.max * scale, digits)})</sub>`;
}

const MB = 2 ** 20;

export function markdown({ meta, summary, targets, pairs, scenarios, failures }) {
  const L = [];
  L.push(`# tsgrpc benchmark results (${meta.mode})`, "");
  L.push(
    `${meta.date} · Node ${meta.node} · ${meta.cpus} × ${meta.cpuModel} · ${meta.pinned ? "server on core 0, client on core 1 (taskset)" : "not pinned"} · ` +
      `${meta.reps} rep(s), medians with (min–max) · warm-up ${meta.preWarmMs} ms per scenario first, then ${meta.warmMs} ms before measuring ${meta.measureMs} ms (a stream scenario runs at least one whole stream) · ` +
      `one HTTP/2 connection on 127.0.0.1 · tsgrpc ${meta.git} (dist/) · run took ${fmt(meta.durationS, 0)} s.`,
    "",
  );
  L.push(`Pairs are *client → server*. CPU figures are per call (unary) or per message (streams); server CPU is utime+stime of the server process from /proc, client CPU is process.cpuUsage() in the client process. Server peak RSS is VmHWM, reset before each measurement. "Other load" is the most CPU (in cores) that anything but the server and client used during a measurement: above about 0.1 the row is suspect. Runs vary by 10–30 % on shared machines: compare figures from the same run.`, "");
  if (failures.length > 0) {
    L.push("## Failures", "");
    for (const f of failures) L.push(`- rep ${f.rep}, ${f.client} → ${f.server}: ${f.error.split("\n")[0]}`);
    L.push("");
  }
  L.push("## Targets", "");
  L.push("| target | measured | ratio (medians) | per-rep range | bound | result |", "|---|---|---|---|---|---|");
  for (const t of targets) {
    if (t.result === "n/a") {
      L.push(`| ${t.text} | not measured | – | – | ${t.cmp} ${t.bound} | n/a |`);
      continue;
    }
    const unit = t.idle ? " MB" : "×";
    const measured = t.idle
      ? `${fmt(t.aValue / MB)} MB vs ${fmt(t.bValue / MB)} MB`
      : `${fmt(t.aValue)} vs ${fmt(t.bValue)} ${metricUnit(t.metric)}`;
    const range = t.perRep && t.perRep.n > 1 ? `${fmt(t.perRep.min, 2)}–${fmt(t.perRep.max, 2)}${unit}` : "–";
    L.push(`| ${t.text} | ${measured} | **${fmt(t.value, 2)}${unit}** | ${range} | ${t.cmp} ${t.bound}${unit} | **${t.result}** |`);
  }
  L.push("");
  const bundled = summary.idleRss["ours-bundled"]?.median;
  const raw = summary.idleRss.raw?.median;
  if (bundled !== undefined && raw !== undefined) {
    L.push(
      `The same tsgrpc server bundled into one file with esbuild (runtime and @bufbuild/protobuf included) idles at ${fmt(bundled / MB)} MB, ` +
        `${fmt((bundled - raw) / MB)} MB over the raw server: about half of the unbundled server's excess is the cost of loading some 200 separate ES modules. ` +
        "The target above is checked on the unbundled server.",
      "",
    );
  }

  L.push("## ours → ours compared with grpcjs → grpcjs and raw → raw", "");
  L.push(
    "Throughput of ours → ours divided by that of grpcjs → grpcjs and raw → raw; then CPU per call or message, ours divided by the other, with the same raw peer on the other side.",
    "",
    "| scenario | ours→ours | ÷ grpcjs→grpcjs | ÷ raw→raw | server CPU/op: ours ÷ grpc-js | server CPU/op: ours ÷ raw | client CPU/op: ours ÷ grpc-js | client CPU/op: ours ÷ raw |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const s of scenarios) {
    const m = summary.scenarios[s.id] ?? {};
    const metric = s.unit === "MB/s" ? "mbps" : "throughput";
    const v = (k, met = metric) => m[k]?.[met]?.median;
    const r = (x, y) => (x !== undefined && y !== undefined ? `${fmt(x / y, 2)}×` : "–");
    L.push(
      `| ${s.title} | ${fmt(v("ours:ours"))} ${s.unit} | ${r(v("ours:ours"), v("grpcjs:grpcjs"))} | ${r(v("ours:ours"), v("raw:raw"))} | ` +
        `${r(v("raw:ours", "serverCpuUsPerOp"), v("raw:grpcjs", "serverCpuUsPerOp"))} | ${r(v("raw:ours", "serverCpuUsPerOp"), v("raw:raw", "serverCpuUsPerOp"))} | ` +
        `${r(v("ours:raw", "clientCpuUsPerOp"), v("grpcjs:raw", "clientCpuUsPerOp"))} | ${r(v("ours:raw", "clientCpuUsPerOp"), v("raw:raw", "clientCpuUsPerOp"))} |`,
    );
  }
  L.push("");

  L.push("## Idle server RSS (after READY)", "", "| server | RSS MB |", "|---|---|");
  for (const [server, s] of Object.entries(summary.idleRss)) L.push(`| ${(IMPLS[server] ?? IDLE_ONLY[server]).label} | ${cell(s, 1 / MB)} |`);
  L.push("");

  for (const s of scenarios) {
    const m = summary.scenarios[s.id];
    if (m === undefined) continue;
    L.push(`## ${s.title}`, "");
    const unary = s.kind === "unary";
    const per = unary ? "call" : "msg";
    const head = [
      "client → server",
      s.unit,
      ...(unary ? ["p50 ms", "p99 ms"] : []),
      `server CPU µs/${per}`,
      `client CPU µs/${per}`,
      "server CPU %",
      "client CPU %",
      "server peak RSS MB",
      "other load",
      "errors",
    ];
    L.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
    for (const p of pairs) {
      const x = m[pairKey(p)];
      if (x === undefined) continue;
      const row = [
        pairLabel(p),
        cell(s.unit === "MB/s" ? x.mbps : x.throughput),
        ...(unary ? [cell(x.p50Ms, 1, 3), cell(x.p99Ms, 1, 3)] : []),
        cell(x.serverCpuUsPerOp),
        cell(x.clientCpuUsPerOp),
        cell(x.serverCpuUtil, 100, 0),
        cell(x.clientCpuUtil, 100, 0),
        cell(x.serverPeakRss, 1 / MB, 1),
        fmt(x.foreignCpu?.max, 2),
        fmt(x.errors?.max ?? 0, 0),
      ];
      L.push(`| ${row.join(" | ")} |`);
    }
    L.push("");
  }
  L.push("Chart: [results.svg](results.svg). Raw records: [results.json](results.json).", "");
  return L.join("\n");
}

function metricUnit(metric) {
  return { throughput: "/s", mbps: "MB/s", serverCpuUsPerOp: "µs", clientCpuUsPerOp: "µs", p99Ms: "ms" }[metric] ?? "";
}

// ---------------------------------------------------------------- SVG

const COLORS = { ours: "#2563eb", grpcjs: "#ea580c", raw: "#6b7280" };

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One panel per scenario: a horizontal bar per pair (median), a whisker for min–max; linear scale per panel. */
export function svg({ meta, summary, pairs, scenarios }) {
  const panelW = 460;
  const labelW = 130;
  const barH = 16;
  const gap = 5;
  const cols = 2;
  const headH = 34;
  const panelH = headH + pairs.length * (barH + gap) + 16;
  const rows = Math.ceil(scenarios.length / cols);
  const W = cols * panelW + 40;
  const H = 70 + rows * panelH + 30;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="20" y="26" font-size="16" font-weight="bold">tsgrpc benchmark (${esc(meta.mode)}): client → server, median of ${meta.reps}, whiskers min–max</text>`);
  out.push(`<text x="20" y="46" fill="#555">Node ${esc(meta.node)}, ${meta.cpus} cores, ${meta.pinned ? "server/client pinned to separate cores" : "not pinned"}, ${esc(meta.date)}. Bar colour = client.</text>`);
  let lx = W - 300;
  for (const [impl, color] of Object.entries(COLORS)) {
    out.push(`<rect x="${lx}" y="36" width="12" height="12" fill="${color}"/><text x="${lx + 16}" y="46">${esc(IMPLS[impl].label)} client</text>`);
    lx += 95;
  }
  scenarios.forEach((s, i) => {
    const x0 = 20 + (i % cols) * panelW;
    const y0 = 70 + Math.floor(i / cols) * panelH;
    const m = summary.scenarios[s.id] ?? {};
    const metric = s.chart ?? (s.unit === "MB/s" ? "mbps" : "throughput");
    const what = s.chart === "serverCpuUsPerOp" ? "server CPU µs/call, lower is better" : s.unit;
    const title = s.chart === "serverCpuUsPerOp" ? `Unary 16 B at 1k req/s (${what})` : `${s.title} (${what})`;
    const values = pairs.map((p) => m[pairKey(p)]?.[metric]);
    const max = Math.max(1, ...values.map((v) => v?.max ?? 0));
    const plotW = panelW - labelW - 80;
    out.push(`<text x="${x0}" y="${y0 + 16}" font-size="12" font-weight="bold">${esc(title)}</text>`);
    pairs.forEach((p, j) => {
      const v = values[j];
      const y = y0 + headH + j * (barH + gap);
      out.push(`<text x="${x0 + labelW - 6}" y="${y + barH - 4}" text-anchor="end">${esc(pairLabel(p))}</text>`);
      if (v === undefined) {
        out.push(`<text x="${x0 + labelW + 4}" y="${y + barH - 4}" fill="#999">not run</text>`);
        return;
      }
      const w = (v.median / max) * plotW;
      const bold = p.client === p.server ? ' stroke="#111" stroke-width="1"' : "";
      out.push(`<rect x="${x0 + labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[p.client]}"${bold}/>`);
      if (v.n > 1) {
        const a = x0 + labelW + (v.min / max) * plotW;
        const b = x0 + labelW + (v.max / max) * plotW;
        const cy = y + barH / 2;
        out.push(`<path d="M${a.toFixed(1)} ${cy}H${b.toFixed(1)}M${a.toFixed(1)} ${cy - 4}V${cy + 4}M${b.toFixed(1)} ${cy - 4}V${cy + 4}" stroke="#111" stroke-width="1"/>`);
      }
      out.push(`<text x="${x0 + labelW + Math.max(w, (v.max / max) * plotW) + 5}" y="${y + barH - 4}">${esc(fmt(v.median))}</text>`);
    });
  });
  out.push(`<text x="20" y="${H - 10}" fill="#555">Outlined bars: same implementation on both sides. Linear scale per panel.</text>`);
  out.push("</svg>");
  return out.join("\n");
}
