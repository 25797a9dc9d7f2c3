// Child processes for the bench: spawn pinned to a core, read their stdout
// line by line with timeouts, read their CPU time and memory from /proc, and
// kill every one we started, by PID, whatever happens.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";

const live = new Set();

/** Whether `taskset` exists and there are at least two cores to pin server and client apart (BENCH_NO_PIN=1 turns pinning off). */
export const canPin = process.env.BENCH_NO_PIN !== "1" && availableParallelism() >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;

/** Clock ticks per second for /proc/PID/stat times. */
export const clockTicks = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/**
 * Starts `node <args>` (under `taskset -c <cpu>` when pinning is possible).
 * With taskset the PID is node's own: taskset execs it.
 */
export function startNode(args, { cpu, env = {}, nodeFlags = [] } = {}) {
  const argv = [...nodeFlags, ...args];
  const child =
    canPin && cpu !== undefined
      ? spawn("taskset", ["-c", String(cpu), process.execPath, ...argv], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] })
      : spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  live.add(child);
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.exited.then(() => live.delete(child));
  child.stdin.on("error", () => {});
  // Lines of stdout, queued for nextLine(); the last bit of stderr, for error messages.
  child.lines = [];
  child.waiter = undefined;
  child.stderrTail = "";
  let partial = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text) => {
    const parts = (partial + text).split("\n");
    partial = parts.pop();
    for (const line of parts) {
      child.lines.push(line);
      child.waiter?.();
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text) => (child.stderrTail = (child.stderrTail + text).slice(-2000)));
  child.once("exit", () => child.waiter?.());
  return child;
}

/** The next stdout line for which `accept(line)` is true; rejects after `timeoutMs` or when the process exits. */
export function nextLine(child, accept, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from PID ${child.pid}`)), timeoutMs);
    const finish = (error, line) => {
      clearTimeout(timer);
      child.waiter = undefined;
      if (error) {
        error.message += child.stderrTail ? `\n--- stderr of PID ${child.pid} ---\n${child.stderrTail}` : "";
        reject(error);
      } else resolve(line);
    };
    child.waiter = () => {
      while (child.lines.length > 0) {
        const line = child.lines.shift();
        if (accept(line)) return finish(undefined, line);
      }
      if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`PID ${child.pid} exited (${child.exitCode ?? child.signalCode}) while waiting for ${what}`));
    };
    child.waiter();
  });
}

/** Sends one JSON command and waits for the JSON answer with `ev`. */
export async function request(child, command, ev, timeoutMs) {
  child.stdin.write(JSON.stringify(command) + "\n");
  const line = await nextLine(child, (l) => l.startsWith("{") && JSON.parse(l).ev === ev, timeoutMs, `"${ev}"`);
  return JSON.parse(line);
}

/** Stops a process we started: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stop(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {}
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Kills every process still running that we started (on exit, error or Ctrl-C). */
export function killAll() {
  for (const child of live) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
}
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** User + system CPU time of a whole process (all threads), in microseconds, from /proc/PID/stat. */
export function cpuTimeUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 (utime) and 15 (stime) of proc(5); `fields` starts at field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** Resets a process's peak RSS (VmHWM) to its current RSS (proc(5), clear_refs "5"). Returns false if not allowed. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time used by the whole machine (all cores, every process), in microseconds, from /proc/stat. */
export function machineBusyUs() {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq) * 1e6) / clockTicks;
}

/**
 * Waits until the machine has been nearly idle (below `threshold` cores busy)
 * for a `sampleMs` sample, for at most `maxWaitMs`. Other work on the machine
 * (tests, builds) would skew the figures. Returns the last load seen, in cores.
 */
export async function waitQuiet({ threshold = 0.15, sampleMs = 400, maxWaitMs = 60_000, onWait = () => {} } = {}) {
  const until = Date.now() + maxWaitMs;
  let load;
  for (;;) {
    const b0 = machineBusyUs();
    const t0 = performance.now();
    await sleep(sampleMs);
    load = (machineBusyUs() - b0) / ((performance.now() - t0) * 1000);
    if (load < threshold || Date.now() >= until) return load;
    onWait(load);
  }
}
