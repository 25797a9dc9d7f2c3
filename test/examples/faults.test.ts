// The example server with `--faults FILE`, as a real process: the rules apply to every call; a bad file exits 2.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Channel, HealthClient, Status } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = ["--conditions=tsgrpc-source", "--import", "tsx"];
const dir = mkdtempSync(join(tmpdir(), "tsgrpc-faults-"));

/** Starts the example server with `args`; resolves its port once it listens, and what it printed. */
function startServer(args: string[]) {
  const child = spawn(process.execPath, [...tsx, join(root, "examples/server.ts"), "--port", "0", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "close", not "exit": by then everything the process printed has been read.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const port = new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on [\d.]+:(\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error("server did not start in 30 s")), 30_000).unref();
  });
  port.catch(() => {});
  return { child, port, exited, output: () => ({ stdout, stderr }) };
}

describe("example server --faults", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("applies error, delay and drop rules from the file to every call", async () => {
    const file = join(dir, "faults.json");
    writeFileSync(
      file,
      JSON.stringify([
        { kind: "error", method: "/greeter.v1.Greeter/SayHello", status: 14, message: "service unavailable" },
        { kind: "delay", method: "/greeter.v1.Greeter/LotsOf*", ms: 200 },
        { kind: "drop", method: "/greeter.v1.Greeter/LotsOfGreetings" },
      ]),
    );
    const server = startServer(["--faults", file]);
    try {
      const port = await server.port;
      assert.match(server.output().stdout, /fault rules from .*faults\.json: error \/greeter\.v1\.Greeter\/SayHello 14 "service unavailable"; delay \/greeter\.v1\.Greeter\/LotsOf\* 200ms; drop/);
      await using channel = new Channel(`127.0.0.1:${port}`);
      const client = new GreeterClient(channel);
      assert.equal((await new HealthClient(channel).check({ service: "" })).status, 1); // no rule matches: served, and the connection is up
      await assert.rejects(client.sayHello({ name: "a" }), { code: Status.UNAVAILABLE, rawMessage: "service unavailable" });
      let started = performance.now();
      const replies: string[] = [];
      for await (const reply of client.lotsOfReplies({ name: "b", count: 2 })) replies.push(reply.message);
      const delayed = performance.now() - started;
      assert.deepEqual(replies, ["Hello #1, b!", "Hello #2, b!"]);
      assert.ok(delayed >= 198 && delayed < 5_000, `delayed call took ${delayed.toFixed(1)} ms`);
      started = performance.now();
      await assert.rejects(client.lotsOfGreetings([{ name: "c" }]), { code: Status.UNAVAILABLE, rawMessage: "connection dropped" });
      assert.ok(performance.now() - started >= 198, "the delay rule before the drop rule applies first");
      const echoes: string[] = [];
      for await (const reply of client.bidiHello([{ name: "d" }])) echoes.push(reply.message);
      assert.deepEqual(echoes, ["Hi d, nice to meet you."]);
      server.child.kill("SIGTERM");
      assert.equal(await server.exited, 0);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });

  it("refuses a bad faults file with a clear error and exit code 2", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify([{ kind: "delay", method: "*", ms: 200 }, { kind: "error", method: "/pkg.Svc/*", status: "UNAVAILABLE" }]));
    const server = startServer(["--faults", file]);
    try {
      assert.equal(await server.exited, 2);
      assert.match(server.output().stderr, /invalid --faults .*bad\.json: fault rule 1: "status" must be a gRPC status code from 1 to 16, got "UNAVAILABLE"/);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });
});
