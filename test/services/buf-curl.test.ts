// The example server (health, reflection v1 and v1alpha) and reflection-only setups against `buf curl`, a real CLI client.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ReflectionService, Server, type ServerCall } from "tsgrpc";
import type { HelloRequest } from "../../examples/gen/greeter/v1/greeter_pb.js";
import { GreeterService } from "../../examples/greeter-service.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const buf = join(root, "node_modules/.bin/buf");
const healthProto = join(root, "runtime/services/proto/grpc/health/v1/health.proto");
const cacheDir = mkdtempSync(join(tmpdir(), "tsgrpc-buf-cache-"));

/** Runs `buf curl --protocol grpc --http2-prior-knowledge ...args`; resolves with its exit code and output. */
function curl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      buf,
      ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args],
      { env: { ...process.env, BUF_CACHE_DIR: cacheDir }, timeout: 30_000, cwd: root },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }),
    );
  });
}

const SERVICES = ["greeter.v1.Greeter", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

describe("buf curl against the example server", () => {
  let child: ChildProcess;
  let url = "";

  before(async () => {
    child = spawn(process.execPath, ["--conditions=tsgrpc-source", "--import", "tsx", join(root, "examples/server.ts"), "--port", "0"], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let text = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        const match = /listening on [\d.]+:(\d+)/.exec(text);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`example server exited early with ${code}`)));
      setTimeout(() => reject(new Error("example server did not start in 30 s")), 30_000).unref();
    });
    url = `http://127.0.0.1:${port}`;
  });

  after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(cacheDir, { recursive: true, force: true });
  });

  for (const protocol of [undefined, "grpc-v1", "grpc-v1alpha"]) {
    it(`--list-services through reflection${protocol === undefined ? "" : ` (--reflect-protocol ${protocol})`}`, async () => {
      const result = await curl(...(protocol === undefined ? [] : ["--reflect-protocol", protocol]), url, "--list-services");
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.trim().split("\n"), SERVICES);
    });
  }

  it("--list-methods through reflection", async () => {
    const result = await curl(url, "--list-methods");
    assert.equal(result.code, 0, result.stderr);
    const methods = result.stdout.trim().split("\n");
    for (const method of ["greeter.v1.Greeter/SayHello", "greeter.v1.Greeter/BidiHello", "grpc.health.v1.Health/Watch", "grpc.reflection.v1.ServerReflection/ServerReflectionInfo"]) {
      assert.ok(methods.includes(method), `${method} in ${methods.join(", ")}`);
    }
  });

  it("calls a unary and a server-streaming method by JSON, with the schema from reflection", async () => {
    const unary = await curl("-d", '{"name":"x"}', `${url}/greeter.v1.Greeter/SayHello`);
    assert.equal(unary.code, 0, unary.stderr);
    assert.deepEqual(JSON.parse(unary.stdout), { message: "Hello, x!" });
    const stream = await curl("--reflect-protocol", "grpc-v1alpha", "-d", '{"name":"y","count":2}', `${url}/greeter.v1.Greeter/LotsOfReplies`);
    assert.equal(stream.code, 0, stream.stderr);
    assert.match(stream.stdout, /"message": "Hello #1, y!"[\s\S]*"message": "Hello #2, y!"/);
  });

  it("checks health with --schema pointing at health.proto (no reflection)", async () => {
    for (const service of ["", "greeter.v1.Greeter"]) {
      const result = await curl("--schema", healthProto, "-d", JSON.stringify({ service }), `${url}/grpc.health.v1.Health/Check`);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { status: "SERVING" });
    }
    const unknown = await curl("--schema", healthProto, "-d", '{"service":"no.Such"}', `${url}/grpc.health.v1.Health/Check`);
    assert.notEqual(unknown.code, 0);
    assert.deepEqual(JSON.parse(unknown.stderr), { code: "not_found", message: "unknown service no.Such" });
  });

  it("the example server exits 0 on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });
});

describe("buf curl against other reflection setups", () => {
  it("a server with only v1alpha: the old protocol works, v1 is UNIMPLEMENTED; buf curl's default falls back", async () => {
    const server = new Server().add(new GreeterService());
    server.add(new ReflectionService(server, { version: "v1alpha" }));
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const url = `http://127.0.0.1:${port}`;
      const old = await curl("--reflect-protocol", "grpc-v1alpha", url, "--list-services");
      assert.equal(old.code, 0, old.stderr);
      assert.deepEqual(old.stdout.trim().split("\n"), ["greeter.v1.Greeter", "grpc.reflection.v1alpha.ServerReflection"]);
      const v1 = await curl("--reflect-protocol", "grpc-v1", url, "--list-services");
      assert.notEqual(v1.code, 0);
      assert.match(v1.stderr, /unimplemented/i);
      const fallback = await curl("-d", '{"name":"z"}', `${url}/greeter.v1.Greeter/SayHello`);
      assert.equal(fallback.code, 0, fallback.stderr);
      assert.deepEqual(JSON.parse(fallback.stdout), { message: "Hello, z!" });
    } finally {
      await server.forceClose();
    }
  });

  it("a handler sees buf curl's peer address and user-agent", async () => {
    let seen: { peer: string; userAgent: string | undefined } | undefined;
    class Recording extends GreeterService {
      override async sayHello(request: HelloRequest, call: ServerCall) {
        seen = { peer: call.peer, userAgent: call.userAgent };
        return super.sayHello(request, call);
      }
    }
    const server = new Server().add(new Recording());
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const result = await curl("--schema", join(root, "proto/greeter/v1/greeter.proto"), "-d", '{"name":"p"}', `http://127.0.0.1:${port}/greeter.v1.Greeter/SayHello`);
      assert.equal(result.code, 0, result.stderr);
      assert.match(seen?.peer ?? "", /^127\.0\.0\.1:\d+$/);
      assert.notEqual(seen?.peer, `127.0.0.1:${port}`);
      assert.match(seen?.userAgent ?? "", /^grpc-go-connect\/[\d.]+ \(go[\d.]+\) buf\/1\.74\.0$/);
    } finally {
      await server.forceClose();
    }
  });
});
