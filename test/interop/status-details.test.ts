// Rich error details with Debian's Python gRPC (C core), both ways: the
// google.rpc.Status format in grpc-status-details-bin.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BadRequestSchema, Channel, GrpcError, Server, Status, errorDetail, errorDetails } from "tsgrpc";
import { GreeterBase, GreeterClient } from "../../examples/gen/greeter/v1/greeter_grpc.js";
import { HelloRequestSchema } from "../../examples/gen/greeter/v1/greeter_pb.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PYTHON = "/usr/bin/python3";
const script = join(root, "test/interop/python/status_details.py");

class FailingGreeter extends GreeterBase {
  async sayHello(): Promise<never> {
    throw new GrpcError(Status.INVALID_ARGUMENT, "tsgrpc says no", {
      details: [errorDetails.badRequest({ fieldViolations: [{ field: "email" }] }), errorDetail(HelloRequestSchema, { name: "own type" })],
    });
  }
  async *lotsOfReplies() {}
  async lotsOfGreetings() {
    return {};
  }
  async *bidiHello() {}
}

describe("rich error details with Python gRPC (C core)", () => {
  let gen: string;
  before(() => {
    for (const file of [PYTHON, "/usr/bin/protoc"]) assert.ok(existsSync(file), `${file} missing: run scripts/setup.sh`);
    gen = mkdtempSync(join(tmpdir(), "tsgrpc-pystatus-"));
    const protos = join(gen, "rpcdetails");
    mkdirSync(protos);
    for (const name of ["status.proto", "error_details.proto"]) {
      copyFileSync(join(root, "runtime/status/details/google/rpc", name), join(protos, name));
    }
    writeFileSync(join(protos, "__init__.py"), "");
    execFileSync("/usr/bin/protoc", [`-I${gen}`, "-I/usr/include", `--python_out=${gen}`, "rpcdetails/status.proto", "rpcdetails/error_details.proto"]);
  });
  after(() => rmSync(gen, { recursive: true, force: true }));

  test("a Python client reads our google.rpc.Status", async () => {
    const server = new Server().add(new FailingGreeter());
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(PYTHON, [script, gen, "client", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "inherit"] });
        let text = "";
        child.stdout.on("data", (c: Buffer) => (text += c.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.on("exit", (code) => {
          clearTimeout(timer);
          if (code === 0) resolve(text);
          else reject(new Error(`python client exited with ${code}: ${text}`));
        });
      });
      const result = JSON.parse(out) as { code: number; message: string; status_code: number; status_message: string; details: Array<{ type_url: string; fields?: string[] }> };
      assert.equal(result.code, Status.INVALID_ARGUMENT);
      assert.equal(result.message, "tsgrpc says no");
      assert.equal(result.status_code, Status.INVALID_ARGUMENT);
      assert.equal(result.status_message, "tsgrpc says no");
      assert.deepEqual(result.details, [
        { type_url: "type.googleapis.com/google.rpc.BadRequest", fields: ["email"] },
        { type_url: "type.googleapis.com/greeter.v1.HelloRequest" },
      ]);
    } finally {
      await server.forceClose();
    }
  });

  test("our client reads a Python server's google.rpc.Status", async () => {
    const portFile = join(gen, "port");
    const child = spawn(PYTHON, [script, gen, "server", portFile], { stdio: ["ignore", "inherit", "inherit"] });
    try {
      const deadline = Date.now() + 20_000;
      while (!existsSync(portFile) || readFileSync(portFile, "utf8") === "") {
        assert.ok(Date.now() < deadline, "python server did not start");
        assert.equal(child.exitCode, null, "python server exited early");
        await new Promise((r) => setTimeout(r, 50));
      }
      await using channel = new Channel(`127.0.0.1:${readFileSync(portFile, "utf8")}`);
      const error = await new GreeterClient(channel).sayHello({ name: "x" }).catch((e: unknown) => e);
      assert.ok(error instanceof GrpcError, String(error));
      assert.equal(error.code, Status.INVALID_ARGUMENT);
      assert.equal(error.rawMessage, "python says no");
      assert.equal(error.findDetail(BadRequestSchema)?.fieldViolations[0]?.description, "from python");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
