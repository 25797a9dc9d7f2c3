// Runs every scenario for one client -> server pair: the server on core 0, the
// client driver on core 1, one HTTP/2 connection on 127.0.0.1. The server's CPU
// time and peak RSS are read from /proc around each measurement only.
import { IDLE_ONLY, IMPLS } from "./config.mjs";
import { cpuTimeUs, freePort, machineBusyUs, memory, nextLine, request, resetPeakRss, sleep, startNode, stop, waitQuiet } from "./procs.mjs";

const HOST = "127.0.0.1";
/** Cores' worth of CPU used by other processes during a measurement above which it is redone. */
export const FOREIGN_LIMIT = 0.1;

/**
 * Returns { idleRss, records[], error? }. Never throws: a failing pair is
 * recorded and both processes are stopped.
 * `nodeFlags` = { server: [...], client: [...] } (for --cpu-prof).
 */
export async function runPair({ client, server }, scenarios, mode, { nodeFlags = {}, log = () => {}, retries = 0, quietWaitMs = 30_000 } = {}) {
  const port = await freePort();
  const records = [];
  let serverProc;
  let driver;
  let idle;
  try {
    serverProc = startNode([IMPLS[server].server], { cpu: 0, env: { PORT: String(port), HOST }, nodeFlags: nodeFlags.server });
    await nextLine(serverProc, (l) => l.trim() === "READY", 30_000, "READY");
    await sleep(mode.idleWaitMs);
    idle = memory(serverProc.pid);
    driver = startNode(["bench/driver.mjs", IMPLS[client].client, HOST, String(port)], { cpu: 1, nodeFlags: nodeFlags.client });
    await nextLine(driver, (l) => l.startsWith("{") && JSON.parse(l).ev === "open", 30_000, "open");
    for (const s of scenarios) {
      await request(driver, { cmd: "run", phase: "warm", scenario: s, maxOps: s.maxOps, durationMs: mode.preWarmMs, count: Math.min(s.count ?? 0, mode.warmCount) }, "done", mode.preWarmMs + 120_000);
    }
    for (const s of scenarios) {
      // Other work on the machine skews a measurement: redo it (after waiting for quiet) a bounded number of times.
      let record;
      for (let attempt = 1; attempt <= 1 + retries; attempt++) {
        record = await measure(s, serverProc, driver, mode, client, server);
        record.attempts = attempt;
        if (record.foreignCpu <= FOREIGN_LIMIT || attempt > retries) break;
        log(`  redoing ${s.id}: other work used ${record.foreignCpu.toFixed(2)} cores`);
        await waitQuiet({ maxWaitMs: quietWaitMs, onWait: () => {} });
      }
      records.push(record);
    }
    await request(driver, { cmd: "close" }, "closed", 10_000).catch(() => {});
    // Let it exit by itself (a --cpu-prof profile is written at exit).
    await Promise.race([driver.exited, sleep(10_000)]);
    return { idleRss: idle.rss, records };
  } catch (error) {
    return { idleRss: idle?.rss, records, error: String(error?.message ?? error) };
  } finally {
    if (driver !== undefined) await stop(driver);
    if (serverProc !== undefined) await stop(serverProc);
  }
}

/** Warm-up, then one measurement of scenario `s`, with the server's CPU and memory read around it. */
async function measure(s, serverProc, driver, mode, client, server) {
  const base = { scenario: s, maxOps: s.maxOps };
  const measureMs = s.measureMs ?? mode.measureMs;
  await request(driver, { cmd: "run", phase: "warm", ...base, durationMs: mode.warmMs, count: Math.min(s.count ?? 0, mode.warmCount) }, "done", mode.warmMs + 120_000);
  const peakReset = resetPeakRss(serverProc.pid);
  const cpu0 = cpuTimeUs(serverProc.pid);
  const driverCpu0 = cpuTimeUs(driver.pid);
  const busy0 = machineBusyUs();
  const r = await request(driver, { cmd: "run", phase: "measure", ...base, durationMs: measureMs }, "done", measureMs + 120_000);
  const cpu1 = cpuTimeUs(serverProc.pid);
  const busy1 = machineBusyUs();
  const driverCpu1 = cpuTimeUs(driver.pid);
  const mem = memory(serverProc.pid);
  const seconds = r.elapsedMs / 1000;
  return {
    scenario: s.id,
    client,
    server,
    ops: r.ops,
    calls: r.calls,
    elapsedMs: r.elapsedMs,
    throughput: r.ops / seconds,
    mbps: s.kind === "unary" ? (r.ops * s.size) / seconds / 1e6 : undefined,
    p50Ms: r.latencyMs?.p50,
    p90Ms: r.latencyMs?.p90,
    p99Ms: r.latencyMs?.p99,
    maxMs: r.latencyMs?.max,
    serverCpuUsPerOp: r.ops > 0 ? (cpu1 - cpu0) / r.ops : undefined,
    clientCpuUsPerOp: r.ops > 0 ? r.clientCpuUs / r.ops : undefined,
    serverCpuUtil: (cpu1 - cpu0) / 1e6 / seconds,
    clientCpuUtil: r.clientCpuUs / 1e6 / seconds,
    // CPU used on the machine by anything but the server and the client, in cores: other work skews the figures.
    foreignCpu: Math.max(0, (busy1 - busy0 - (cpu1 - cpu0) - (driverCpu1 - driverCpu0)) / 1e6 / seconds),
    serverPeakRss: mem.hwm,
    peakSinceStart: !peakReset,
    serverRss: mem.rss,
    errors: r.errors,
    lastError: r.lastError,
  };
}

/** The idle RSS (bytes) of an IDLE_ONLY server: started, READY, settled, measured, stopped. */
export async function idleRssOnly(name, mode) {
  const port = await freePort();
  const serverProc = startNode([IDLE_ONLY[name].server], { cpu: 0, env: { PORT: String(port), HOST } });
  try {
    await nextLine(serverProc, (l) => l.trim() === "READY", 30_000, "READY");
    await sleep(mode.idleWaitMs);
    return memory(serverProc.pid).rss;
  } finally {
    await stop(serverProc);
  }
}
