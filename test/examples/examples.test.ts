// The examples the README points at: the demo, the example server, and the checked-in generated code.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Channel } from "tsgrpc";
import { GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = ["--conditions=tsgrpc-source", "--import", "tsx"];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe("examples", () => {
  it("the checked-in examples/gen is what the plugin generates from proto/ today", () => {
    const out = mkdtempSync(join(tmpdir(), "tsgrpc-gen-"));
    try {
      execFileSync(process.execPath, [join(root, "scripts/generate.mjs"), join(root, "proto"), out], { stdio: "pipe" });
      const fresh = files(out).map((f) => relative(out, f)).sort();
      const committed = files(join(root, "examples/gen")).map((f) => relative(join(root, "examples/gen"), f)).sort();
      assert.deepEqual(committed, fresh);
      for (const f of fresh) {
        assert.equal(readFileSync(join(root, "examples/gen", f), "utf8"), readFileSync(join(out, f), "utf8"), `${f} is stale: run npm run generate`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("the demo makes a call of every kind and prints the results", () => {
    const output = execFileSync(process.execPath, [...tsx, join(root, "examples/demo.ts")], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.match(output, /unary +SayHello +-> Hello, Ada!/);
    assert.equal(output.match(/server streaming LotsOfReplies +-> Hello #\d, Grace!/g)?.length, 3);
    assert.match(output, /client streaming LotsOfGreetings -> Hello, Alan and Barbara and Edsger!/);
    assert.equal(output.match(/bidi streaming +BidiHello +-> Hi \w+, nice to meet you\./g)?.length, 2);
    assert.match(output, /demo done/);
  });

  it("the example server serves until SIGTERM, then exits 0", async () => {
    const child = spawn(process.execPath, [...tsx, join(root, "examples/server.ts"), "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = "";
        child.stdout.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          const match = /listening on [\d.]+:(\d+)/.exec(text);
          if (match) resolve(Number(match[1]));
        });
        child.once("exit", (code) => reject(new Error(`server exited early with ${code}`)));
        setTimeout(() => reject(new Error("server did not start in 30 s")), 30_000).unref();
      });
      await using channel = new Channel(`127.0.0.1:${port}`);
      const reply = await new GreeterClient(channel).sayHello({ name: "test" });
      assert.equal(reply.message, "Hello, test!");
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
